/**
 * Shape inference over a graph: each node's own rule (src/ir/ops/<op>.ts) applied in graph
 * order. Two uses:
 * - `inferShapes`: at compile, from the concrete shapes of the model inputs; every dimension is
 *   known and an impossible shape is a KconvError naming the node and attribute;
 * - `inferDeclaredShapes`: before compile, from the shapes the model declares; a `None` (null)
 *   steps or batch axis stays unknown and flows through as null, so a free steps axis shows as
 *   `(None, None, 16)` without guessing a length. Never throws.
 * Everything that depends on the input length (SAME padding, output lengths) comes from
 * src/ir/padding.ts.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from './graph.js';
import { nodeError } from './ops/check.js';
import { opDef } from './ops/index.js';
import type { SymShape } from './ops/define.js';

export type Shape = number[];
export type { Dim, SymShape } from './ops/define.js';
export { nodeError };
export { channelsAxis, normalizeAxis, stepsAxis } from './ops/dims.js';
export { unsupportedError } from './ops/unsupported.js';

/** Output shapes of one node from its input shapes. Assumes validateNode() passed. */
export function inferNodeShapes(node: Node, inputs: SymShape[]): SymShape[] {
  return opDef(node.op).shapes(node as never, inputs);
}

/** The nodes needed to compute the graph's outputs, in graph (topological) order. */
export function neededNodes(graph: Graph): Node[] {
  const byValue = new Map<string, Node>();
  for (const n of graph.nodes) for (const v of n.outputs) byValue.set(v, n);
  const needed = new Set<Node>();
  const stack = [...graph.outputs];
  while (stack.length) {
    const v = stack.pop()!;
    const n = byValue.get(v);
    if (!n) throw new KconvError('INVALID_GRAPH', `value '${v}' is used but no node produces it`);
    if (needed.has(n)) continue;
    needed.add(n);
    stack.push(...n.inputs);
  }
  // Every model input counts as needed even when no output depends on it (a file may leave an
  // input disconnected, e.g. Keras 3.2.1's shared-layer node indexes): callers still pass it.
  return graph.nodes.filter((n) => needed.has(n) || (n.op === 'Input' && graph.inputs.includes(n.outputs[0])));
}

/**
 * Shapes of every value needed for the outputs. `inputShapes[i]` is the full shape (batch
 * first) of `graph.inputs[i]`. Input nodes take their value from the matching shape.
 */
export function inferShapes(graph: Graph, inputShapes: number[][]): Map<string, Shape> {
  if (inputShapes.length !== graph.inputs.length) {
    throw new KconvError('BAD_INPUT', `the model has ${graph.inputs.length} input(s) (${graph.inputs.join(', ')}), ${inputShapes.length} shape(s) given`);
  }
  const shapes = new Map<string, Shape>();
  const inputIndex = new Map(graph.inputs.map((v, i) => [v, i]));
  for (const node of neededNodes(graph)) {
    let result: SymShape[];
    if (node.op === 'Input') {
      const index = inputIndex.get(node.outputs[0]);
      if (index === undefined) throw nodeError(node, 'outputs', `Input node's value '${node.outputs[0]}' is not listed in graph.inputs`);
      result = inferNodeShapes(node, [inputShapes[index]]);
    } else {
      const ins = node.inputs.map((v) => {
        const s = shapes.get(v);
        if (!s) throw nodeError(node, 'inputs', `value '${v}' is not computed before this node (graph not topologically ordered?)`);
        return s;
      });
      result = inferNodeShapes(node, ins);
    }
    if (result.length !== node.outputs.length) {
      throw nodeError(node, 'outputs', `the op produces ${result.length} value(s), the node lists ${node.outputs.length}`);
    }
    node.outputs.forEach((v, i) => {
      if (result[i].some((d) => d === null)) throw new Error(`internal: op ${node.op} left a dimension of '${v}' unknown for known inputs`);
      shapes.set(v, result[i] as Shape);
    });
  }
  return shapes;
}

/**
 * Shapes of every value from the shapes the model declares (batch first; null = unknown until
 * compile): the Input nodes' own shape and batch size. A value downstream of a layer kconv cannot
 * run, or of a shape its rule refuses, is null (unknown rank). Never throws.
 */
export function inferDeclaredShapes(graph: Graph): Map<string, SymShape | null> {
  const shapes = new Map<string, SymShape | null>();
  for (const node of graph.nodes) {
    let outs: (SymShape | null)[];
    try {
      const ins = node.op === 'Input' ? [[node.attrs.batchSize, ...node.attrs.shape]] : node.inputs.map((v) => shapes.get(v) ?? null);
      outs = ins.some((s) => s === null) ? node.outputs.map(() => null) : inferNodeShapes(node, ins as SymShape[]);
    } catch {
      outs = node.outputs.map(() => null);
    }
    node.outputs.forEach((v, i) => shapes.set(v, outs[i] ?? null));
  }
  return shapes;
}

