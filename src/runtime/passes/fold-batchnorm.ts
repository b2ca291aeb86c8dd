/**
 * Compile-time graph pass: a BatchNormalization whose only input is the linear output of a
 * Conv1D, DepthwiseConv1D, SeparableConv1D or Dense is folded into that layer's weights, so the
 * plan runs one kernel instead of two and never materializes the unnormalized value.
 *
 * Inference BatchNormalization is a per-channel affine map y = x·s + t with
 * s = gamma / sqrt(variance + epsilon) and t = beta - mean·s (the same s and t the BatchNorm
 * kernel computes, in float64). A layer computing x = bias + Σ w·in per output channel f then
 * becomes bias' = bias·s + t and w' = w·s, both rounded once to float32. The results differ from
 * running the two ops apart only by float32 rounding (within the `close` tolerance).
 *
 * The pass returns a new Graph for the runtime only (nothing writes it back to a file): folded
 * layers get new weight keys (`<node>#bn-folded:<role>`), the original weights stay untouched
 * (a shared layer may use them elsewhere), and the folded node produces the BatchNormalization's
 * output value, so every value of the folded graph exists in the original with the same shape.
 *
 * Conditions, each checked: the layer's activation is linear (an activation between them would
 * not commute with the affine map), its output is read by the BatchNormalization alone and is
 * not a model output, the BatchNormalization normalizes the layer's channels axis, and every
 * statistic has one value per channel. Anything else is left as it is.
 */
import type { Graph, Node } from '../../ir/graph.js';
import { toFloat32, type Tensor } from '../../tensor.js';
import { batchNormAffine } from '../kernels/normalization.js';

type Foldable = Extract<Node, { op: 'Conv1D' | 'DepthwiseConv1D' | 'SeparableConv1D' | 'Dense' }>;
type BatchNorm = Extract<Node, { op: 'BatchNormalization' }>;

/** Per foldable op: the weight role that holds the output channels last, and how many output channels there are. */
const KERNEL_OF: { [K in Foldable['op']]: (node: Extract<Node, { op: K }>) => { role: string; channels: number } } = {
  Conv1D: (node) => ({ role: 'kernel', channels: node.attrs.filters }),
  // [k, C, M]: output channel c·M + m is the flat index modulo C·M, as for a grouped kernel
  DepthwiseConv1D: (node) => ({ role: 'depthwise_kernel', channels: node.attrs.inChannels * node.attrs.depthMultiplier }),
  SeparableConv1D: (node) => ({ role: 'pointwise_kernel', channels: node.attrs.filters }),
  Dense: (node) => ({ role: 'kernel', channels: node.attrs.units }),
};

function kernelOf(node: Foldable): { role: string; channels: number } {
  return (KERNEL_OF[node.op] as (node: Foldable) => { role: string; channels: number })(node);
}

function isFoldable(node: Node): node is Foldable {
  return Object.hasOwn(KERNEL_OF, node.op);
}

/** Whether the BatchNormalization's axis (of an input of `rank`) is the layer's channels axis. */
function normalizesChannels(node: Foldable, bn: BatchNorm, rank: number): boolean {
  const axis = bn.attrs.axis < 0 ? bn.attrs.axis + rank : bn.attrs.axis;
  if (node.op === 'Dense') return axis === rank - 1;
  return axis === (node.attrs.layout === 'NWC' ? rank - 1 : 1);
}

function stat(graph: Graph, bn: BatchNorm, role: string, channels: number): Float32Array | null | undefined {
  const key = bn.weights[role];
  if (key === undefined) return null;
  const t = graph.weights.get(key);
  if (!t || t.data.length !== channels) return undefined; // malformed: let the BatchNorm kernel report it
  return toFloat32(t);
}

function f32(shape: number[], data: Float32Array): Tensor {
  return { dtype: 'float32', shape, data };
}

const folded = new WeakMap<Graph, Graph>();

/**
 * The graph with every foldable BatchNormalization folded into its producer. `shapes` are the
 * graph's inferred shapes (only ranks are used, and a graph's ranks do not change with its
 * input lengths, so the result is cached per graph).
 */
export function foldBatchNorm(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>): Graph {
  let g = folded.get(graph);
  if (!g) {
    g = fold(graph, shapes);
    folded.set(graph, g);
  }
  return g;
}

function fold(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>): Graph {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const v of n.inputs) readers.set(v, (readers.get(v) ?? 0) + 1);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const v of n.outputs) producer.set(v, n);

  const replaced = new Map<Node, Node>(); // producer → folded producer
  const dropped = new Set<Node>(); // folded BatchNorms
  const weights = new Map(graph.weights);
  for (const bn of graph.nodes) {
    if (bn.op !== 'BatchNormalization' || bn.inputs.length !== 1) continue;
    const p = producer.get(bn.inputs[0]);
    if (!p || !isFoldable(p) || replaced.has(p) || p.outputs.length !== 1) continue;
    if (p.attrs.activation.fn !== 'linear') continue;
    if (readers.get(p.outputs[0]) !== 1 || graph.outputs.includes(p.outputs[0])) continue;
    const rank = shapes.get(bn.inputs[0])?.length;
    if (rank === undefined || !normalizesChannels(p, bn, rank)) continue;
    const { role, channels } = kernelOf(p);
    const kernelTensor = graph.weights.get(p.weights[role]);
    if (!kernelTensor || kernelTensor.data.length % channels !== 0) continue;
    const mean = stat(graph, bn, 'moving_mean', channels);
    const variance = stat(graph, bn, 'moving_variance', channels);
    const gamma = bn.attrs.scale ? stat(graph, bn, 'gamma', channels) : null;
    const beta = bn.attrs.center ? stat(graph, bn, 'beta', channels) : null;
    if (!mean || !variance || gamma === undefined || beta === undefined) continue;
    if ((bn.attrs.scale && !gamma) || (bn.attrs.center && !beta)) continue;
    const biasTensor = p.attrs.useBias ? graph.weights.get(p.weights.bias) : null;
    if (p.attrs.useBias && (!biasTensor || biasTensor.data.length !== channels)) continue;

    // s and t exactly as the BatchNorm kernel computes them (float64)
    const { scale: s, shift: t } = batchNormAffine(bn.attrs.epsilon, mean, variance, gamma, beta);
    const k = toFloat32(kernelTensor);
    const k2 = new Float32Array(k.length);
    for (let i = 0; i < k.length; i++) k2[i] = k[i] * s[i % channels];
    const b = biasTensor ? toFloat32(biasTensor) : null;
    const b2 = new Float32Array(channels);
    for (let c = 0; c < channels; c++) b2[c] = (b ? b[c] : 0) * s[c] + t[c];

    const kernelKey = `${p.name}#bn-folded:${role}`;
    const biasKey = `${p.name}#bn-folded:bias`;
    weights.set(kernelKey, f32([...kernelTensor.shape], k2));
    weights.set(biasKey, f32([channels], b2));
    const node = { ...p, attrs: { ...p.attrs, useBias: true }, weights: { ...p.weights, [role]: kernelKey, bias: biasKey }, outputs: [...bn.outputs] } as Node;
    replaced.set(p, node);
    dropped.add(bn);
  }
  if (dropped.size === 0) return graph;
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n),
    weights,
  };
}
