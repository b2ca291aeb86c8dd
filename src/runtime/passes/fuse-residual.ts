/**
 * Compile-time graph pass: a residual Add computed in the store of the Conv1D that produces one
 * of its inputs, so the plan runs one kernel instead of two (three with the activation after the
 * Add) and never materializes the Conv1D's own output.
 *
 *   c = Conv1D(x)        (linear activation)
 *   s = Add(r, c)        (or Add(c, r))
 *   y = Activation(s)    (optional: an elementwise activation reading s alone)
 *
 * becomes one Conv1D node with two inputs, [x, r], and the activation of the Activation node (or
 * linear), producing y (or s): y = act(conv(x) + bias + r). Every value of the fused graph
 * exists in the original with the same shape. A Conv1D node with two inputs exists only in the
 * graphs this pass returns, which only the runtime sees (nothing writes them to a file), and only
 * for a Conv1D implementation with `fusesResidual` (the WASM kernel: it adds r in its store, one
 * float32 addition as the Add would do, so the results are the same bits).
 *
 * Conditions, each checked: an Add merge of exactly two inputs of the same shape as its output
 * (no broadcasting); the Conv1D channels last, activation linear, one output, read by the Add
 * alone (not twice, not a model output); for the activation, an elementwise one (not softmax)
 * whose node reads s alone, s not being a model output. Anything else is left as it is.
 */
import type { Graph, Node } from '../../ir/graph.js';
import type { Activation } from '../../ir/ops/index.js';
import { isElementwise } from '../activations.js';

type Conv = Extract<Node, { op: 'Conv1D' }>;

/** Per graph, the fused graph for each pattern of Adds whose inputs have their output's shape. */
const fused = new WeakMap<Graph, Map<string, Graph>>();

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/** A two-input Add whose inputs both have its output's shape (no broadcasting at these shapes). */
function isPlainAdd(n: Node, shapes: ReadonlyMap<string, readonly number[]>): boolean {
  if (n.op !== 'Merge' || n.attrs.mode !== 'add' || n.inputs.length !== 2 || n.outputs.length !== 1) return false;
  const out = shapes.get(n.outputs[0]);
  return n.inputs.every((v) => sameShape(shapes.get(v), out));
}

/**
 * The graph with every fusable residual Add fused into its Conv1D. The only shape-dependent
 * condition is that an Add's inputs have equal shapes, and that can change with the input length
 * (an Add broadcasting a one-step residual has equal shapes when the input has one step), so the
 * result is cached per graph and per pattern of such Adds.
 */
export function fuseResidualAdd(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>): Graph {
  let byPattern = fused.get(graph);
  if (!byPattern) fused.set(graph, (byPattern = new Map()));
  const pattern = graph.nodes.map((n) => (isPlainAdd(n, shapes) ? '1' : '0')).join('');
  let g = byPattern.get(pattern);
  if (!g) {
    g = fuse(graph, shapes);
    byPattern.set(pattern, g);
  }
  return g;
}

function fuse(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>): Graph {
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const v of n.inputs) readers.set(v, [...(readers.get(v) ?? []), n]);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const v of n.outputs) producer.set(v, n);
  const onlyReader = (v: string): Node | null => {
    const r = readers.get(v);
    return r && r.length === 1 && !graph.outputs.includes(v) ? r[0] : null;
  };

  const replaced = new Map<Node, Node>(); // Conv1D → fused Conv1D
  const dropped = new Set<Node>(); // the Adds and Activations fused into them
  for (const add of graph.nodes) {
    if (!isPlainAdd(add, shapes)) continue;
    // the first input (in order) that is a fusable Conv1D's output; the other is the residual
    const which = add.inputs.findIndex((v) => {
      const p = producer.get(v);
      return p?.op === 'Conv1D' && !replaced.has(p) && p.outputs.length === 1 && p.attrs.layout === 'NWC' && p.attrs.activation.fn === 'linear' && onlyReader(v) === add;
    });
    if (which < 0) continue;
    const conv = producer.get(add.inputs[which]) as Conv;
    const residual = add.inputs[1 - which];
    let activation: Activation = conv.attrs.activation;
    let output = add.outputs[0];
    const next = onlyReader(output);
    if (next?.op === 'Activation' && next.outputs.length === 1 && isElementwise(next.attrs.activation) && next.attrs.activation.fn !== 'linear') {
      activation = next.attrs.activation;
      output = next.outputs[0];
      dropped.add(next);
    }
    replaced.set(conv, { ...conv, inputs: [conv.inputs[0], residual], attrs: { ...conv.attrs, activation }, outputs: [output] } as Node);
    dropped.add(add);
  }
  if (dropped.size === 0) return graph;
  // The fused node runs where the Add ran (its residual may be computed after the Conv1D).
  const at = new Map<Node, Node>();
  for (const [conv, node] of replaced) {
    const add = readers.get(conv.outputs[0])![0];
    at.set(add, node);
  }
  const nodes: Node[] = [];
  for (const n of graph.nodes) {
    if (replaced.has(n)) continue;
    if (at.has(n)) nodes.push(at.get(n)!);
    else if (!dropped.has(n)) nodes.push(n);
  }
  return { ...graph, nodes };
}
