/**
 * Input lengths a file does not record but the weights fix. A model whose input is declared
 * `(None, None, 1)` and that flattens the steps into a Dense runs at exactly one length: the one
 * whose flattened size is the Dense kernel's row count. Keras cannot build such a model from its
 * config alone, so a converted file would be written half right. kconv reads that length from
 * the weights (and says so), or, when no length fits, refuses to write Keras files for it.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { inferNodeShapes, type SymShape } from '../ir/shapes.js';

/**
 * Shapes of every value for concrete input shapes (in graph input order), leaving out what cannot
 * be inferred (a shape rule that refuses, or a value downstream of one). Never throws.
 */
function inferShapesLenient(graph: Graph, inputShapes: number[][]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  graph.inputs.forEach((v, i) => shapes.set(v, inputShapes[i]));
  for (const node of graph.nodes) {
    try {
      const ins = node.op === 'Input' ? [shapes.get(node.outputs[0])] : node.inputs.map((v) => shapes.get(v));
      if (ins.some((s) => s === undefined)) continue;
      const outs = inferNodeShapes(node, ins as SymShape[]);
      node.outputs.forEach((v, i) => {
        if (outs[i] && outs[i].every((d) => d !== null)) shapes.set(v, outs[i] as number[]);
      });
    } catch {
      // unknown from here on
    }
  }
  return shapes;
}

/** Longest input length the search considers (2^24 steps). */
const MAX_LENGTH = 1 << 24;
const PROBES = [256, 257];

interface OpenInput {
  node: Node & { op: 'Input' };
  /** Index of the open axis in the Input's shape (without batch). */
  axis: number;
}

function openInputs(graph: Graph): OpenInput[] {
  const out: OpenInput[] = [];
  for (const node of graph.nodes) {
    if (node.op !== 'Input') continue;
    const open = node.attrs.shape.flatMap((d, i) => (d === null ? [i] : []));
    if (open.length === 1) out.push({ node, axis: open[0] });
  }
  return out;
}

/** Concrete input shapes (batch 1) with `lengths` for each open input (its other open axes at the probe). */
function shapesWith(graph: Graph, lengths: Map<string, number>, probe: number): number[][] {
  return graph.inputs.map((v) => {
    const node = graph.nodes.find((n) => n.op === 'Input' && n.outputs.includes(v));
    if (!node || node.op !== 'Input') return [];
    const fixed = lengths.get(node.name);
    return [1, ...node.attrs.shape.map((d) => (d === null ? (fixed ?? probe) : d))];
  });
}

/** The first Dense whose input shape is known but whose feature count does not fit it. */
function misfitDense(graph: Graph, shapes: Map<string, number[]>): (Node & { op: 'Dense' }) | null {
  for (const node of graph.nodes) {
    if (node.op !== 'Dense') continue;
    const s = shapes.get(node.inputs[0]);
    if (s && s[s.length - 1] !== node.attrs.inFeatures && !shapes.has(node.outputs[0])) return node;
  }
  return null;
}

function allInferred(graph: Graph, shapes: Map<string, number[]>): boolean {
  return graph.nodes.every((n) => n.outputs.every((v) => shapes.has(v)));
}

export interface LengthFinding {
  /** Lengths read from the weights, by Input node name, with the Dense that fixed each. */
  inferred: { input: string; axis: number; length: number; dense: string }[];
  /** Why an open input could not be given a length (then Keras files cannot be written). */
  problems: string[];
}

/**
 * For each Input with one open axis that the model cannot leave open (a Dense after a Flatten
 * fixes it), the length that makes the Dense's features fit; `problems` when none does.
 */
export function findInputLengths(graph: Graph): LengthFinding {
  const finding: LengthFinding = { inferred: [], problems: [] };
  const lengths = new Map<string, number>();
  for (const { node, axis } of openInputs(graph)) {
    const at = (L: number) => inferShapesLenient(graph, shapesWith(graph, new Map([...lengths, [node.name, L]]), PROBES[0]));
    if (PROBES.every((L) => allInferred(graph, at(L)))) continue; // the model takes any length
    const dense = misfitDense(graph, at(PROBES[0]));
    if (!dense) continue; // something else fails: not a length question
    const features = (L: number): number => {
      const s = at(L).get(dense.inputs[0]);
      return s ? s[s.length - 1] : -1;
    };
    // Features grow with the length (convolutions, pooling and Flatten never shrink them as L
    // grows): binary search for the smallest length giving at least the Dense's count.
    let lo = 1;
    let hi = MAX_LENGTH;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (features(mid) >= dense.attrs.inFeatures) hi = mid;
      else lo = mid + 1;
    }
    const name = node.keras?.layerName ?? node.name;
    if (features(lo) !== dense.attrs.inFeatures || !allInferred(graph, at(lo))) {
      finding.problems.push(
        `input '${name}' records no length, and no length gives layer '${dense.keras?.layerName ?? dense.name}' the ${dense.attrs.inFeatures} input features its weights hold`,
      );
      continue;
    }
    lengths.set(node.name, lo);
    finding.inferred.push({ input: name, axis, length: lo, dense: dense.keras?.layerName ?? dense.name });
  }
  return finding;
}

/**
 * Fixes the open length of each Input the weights decide (see `findInputLengths`) in `graph`,
 * with a warning in its provenance saying so. Done once, on load.
 */
export function fixInputLengths(graph: Graph): void {
  const { inferred } = findInputLengths(graph);
  for (const f of inferred) {
    const node = graph.nodes.find((n) => n.op === 'Input' && (n.keras?.layerName ?? n.name) === f.input);
    if (!node || node.op !== 'Input') continue;
    node.attrs.shape = node.attrs.shape.map((d, i) => (i === f.axis ? f.length : d));
    graph.provenance.warnings.push(
      `input '${f.input}' records no length; ${f.length} steps read from the weights of '${f.dense}' (the only length its input features fit)`,
    );
  }
}

/** Refuses to write a Keras file for a model whose input length nothing records or fixes. */
export function requireInputLengths(graph: Graph): void {
  const { problems } = findInputLengths(graph);
  if (problems.length > 0) {
    throw new KconvError('NOT_REPRESENTABLE', `${problems.join('; ')}: Keras could not build the model from the file, so none is written`);
  }
}
