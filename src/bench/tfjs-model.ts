/**
 * A kconv IR graph rebuilt in tfjs-core ops (for the whole-model benchmark, in Node and in the
 * browser page): no Node imports.
 */
import type { Graph, Node } from '../ir/graph.js';
import type { Activation, Conv1DAttrs, DenseAttrs, MergeAttrs, Pool1DAttrs } from '../ir/ops/index.js';
import type { RecurrentAttrs } from '../ir/ops/recurrent.js';
import { resolvePadding } from '../ir/padding.js';
import type { Tensor } from '../tensor.js';
import type { BenchProblem, Tf } from './peers.js';
import type { Runner } from './timing.js';

type TfTensor = import('@tensorflow/tfjs-core').Tensor;
type T2 = import('@tensorflow/tfjs-core').Tensor2D;
type T3 = import('@tensorflow/tfjs-core').Tensor3D;
type T4 = import('@tensorflow/tfjs-core').Tensor4D;

/** What a translated node computes from its inputs (inside the caller's tf.tidy). */
type Step = (ins: TfTensor[]) => TfTensor;

interface Ctx {
  tf: Tf;
  /** A weight of the node as a tfjs tensor, made once when the model is translated. */
  weight(node: Node, role: string): TfTensor;
}

/** Activations the translation knows; anything else is refused when the model is translated. */
function activation(tf: Tf, node: Node, a: Activation): (y: TfTensor) => TfTensor {
  const plain = !a.alpha && (a.maxValue ?? null) === null && !a.threshold;
  if (a.fn === 'linear') return (y) => y;
  if (a.fn === 'relu' && plain) return (y) => tf.relu(y);
  if (a.fn === 'tanh') return (y) => tf.tanh(y);
  if (a.fn === 'sigmoid') return (y) => tf.sigmoid(y);
  if (a.fn === 'softmax' && (a.axis ?? -1) === -1) return (y) => tf.softmax(y);
  throw new Error(`${node.name}: activation ${a.fn} is not in the tfjs translation`);
}

/**
 * One LSTM layer in tfjs-core ops, the way tfjs-layers' LSTMCell computes a step (z = x·W + h·U
 * + b, split into the gates i, f, c, o; tanh / sigmoid), except that the input projection x·W + b
 * of every step is one matMul before the loop: fewer, larger ops, which favours tfjs.
 */
function lstm(ctx: Ctx, node: Node): Step {
  const { tf } = ctx;
  const a = node.attrs as RecurrentAttrs;
  if (a.cell !== 'lstm') throw new Error(`${node.name}: ${a.cell} cell is not in the tfjs translation`);
  if (a.goBackwards || a.returnState || a.stateful || a.hasMask || a.initialStates) throw new Error(`${node.name}: LSTM options (backwards, states, masks) are not in the tfjs translation`);
  const act = activation(tf, node, a.activation);
  const gate = activation(tf, node, a.recurrentActivation);
  const W = ctx.weight(node, 'kernel') as T2;
  const U = ctx.weight(node, 'recurrent_kernel') as T2;
  const b = a.useBias ? ctx.weight(node, 'bias') : null;
  const H = a.units;
  return ([x]) => {
    const [B, T, I] = x.shape;
    let xw: TfTensor = tf.matMul(tf.reshape(x, [B * T, I]) as T2, W);
    if (b) xw = tf.add(xw, b);
    const steps = tf.unstack(tf.reshape(xw, [B, T, 4 * H]), 1) as T2[];
    let h = tf.zeros([B, H]) as T2;
    let c = tf.zeros([B, H]) as T2;
    const outs: T2[] = [];
    for (let t = 0; t < T; t++) {
      const [zi, zf, zc, zo] = tf.split(tf.add(steps[t], tf.matMul(h, U)), 4, 1);
      c = tf.add(tf.mul(gate(zf), c), tf.mul(gate(zi), act(zc))) as T2;
      h = tf.mul(gate(zo), act(c)) as T2;
      if (a.returnSequences) outs.push(h);
    }
    return a.returnSequences ? tf.stack(outs, 1) : h;
  };
}

/** The ops the translation covers, by IR op: each turns a node into its step (or refuses it). */
const TFJS_OPS: Record<string, (ctx: Ctx, node: Node) => Step> = {
  Identity: () => ([x]) => x,
  Conv1D: (ctx, node) => {
    const { tf } = ctx;
    const a = node.attrs as Conv1DAttrs;
    if (a.groups !== 1 || a.layout !== 'NWC') throw new Error(`${node.name}: grouped or channels-first Conv1D is not in the tfjs translation`);
    const act = activation(tf, node, a.activation);
    const kernel = ctx.weight(node, 'kernel') as T3;
    const bias = a.useBias ? ctx.weight(node, 'bias') : null;
    return ([x]) => {
      const p = resolvePadding(a.padding, x.shape[1]!, a.kernelSize, a.stride, a.dilation);
      const padded = p.before || p.after ? tf.pad(x as T3, [[0, 0], [p.before, p.after], [0, 0]]) : (x as T3);
      const y = tf.conv1d(padded, kernel, a.stride, 'valid', 'NWC', a.dilation);
      return act(bias ? tf.add(y, bias) : y);
    };
  },
  Dense: (ctx, node) => {
    const { tf } = ctx;
    const a = node.attrs as DenseAttrs;
    const act = activation(tf, node, a.activation);
    const kernel = ctx.weight(node, 'kernel') as T2;
    const bias = a.useBias ? ctx.weight(node, 'bias') : null;
    return ([x]) => {
      if (x.rank !== 2) throw new Error(`${node.name}: Dense over a rank-${x.rank} input is not in the tfjs translation`);
      const y = tf.matMul(x as T2, kernel);
      return act(bias ? tf.add(y, bias) : y);
    };
  },
  // tfjs-core has no 1-D pooling: the [B, L, C] input as a [B, L, 1, C] image, as tfjs-layers does
  MaxPooling1D: (ctx, node) => {
    const { tf } = ctx;
    const a = node.attrs as Pool1DAttrs;
    if (a.layout !== 'NWC' || a.padding.kind !== 'explicit' || a.padding.before || a.padding.after) throw new Error(`${node.name}: padded or channels-first pooling is not in the tfjs translation`);
    return ([x]) => tf.squeeze(tf.maxPool(tf.expandDims(x, 2) as T4, [a.poolSize, 1], [a.stride, 1], 'valid'), [2]);
  },
  Activation: (ctx, node) => {
    const act = activation(ctx.tf, node, (node.attrs as { activation: Activation }).activation);
    return ([x]) => act(x);
  },
  Merge: (ctx, node) => {
    if ((node.attrs as MergeAttrs).mode !== 'add') throw new Error(`${node.name}: merge ${(node.attrs as MergeAttrs).mode} is not in the tfjs translation`);
    return (ins) => ctx.tf.addN(ins);
  },
  Recurrent: lstm,
};

/**
 * The graph rebuilt in tfjs-core ops from the weights kconv read: what a user porting the model
 * to tfjs by hand would write. Covers the ops of the benchmark's fixtures (TCN: Conv1D with
 * relu/linear, Add, relu, inference-time identities; CNN-LSTM: Conv1D, MaxPooling1D, LSTM, Dense
 * with softmax); any other op or option is refused when the model is translated.
 */
export async function tfjsModel(tf: Tf, backend: 'cpu' | 'wasm', graph: Graph): Promise<(x: Tensor) => Float32Array> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) throw new Error('the tfjs translation takes one input and one output');
  const ctx: Ctx = {
    tf,
    weight(node, role) {
      const t = graph.weights.get(node.weights[role]);
      if (!t) throw new Error(`no ${role} for ${node.name}`);
      return tf.tensor(t.data as Float32Array, [...t.shape]);
    },
  };
  const steps: { node: Node; step: Step }[] = [];
  for (const node of graph.nodes) {
    if (node.op === 'Input') continue;
    const translate = TFJS_OPS[node.op];
    if (!translate) throw new Error(`op ${node.op} is not in the tfjs translation`);
    if (node.outputs.length !== 1) throw new Error(`${node.name}: several outputs are not in the tfjs translation`);
    steps.push({ node, step: translate(ctx, node) });
  }
  const forward = (x: TfTensor): TfTensor => {
    const values = new Map<string, TfTensor>([[graph.inputs[0], x]]);
    for (const { node, step } of steps) values.set(node.outputs[0], step(node.inputs.map((v) => values.get(v)!)));
    return values.get(graph.outputs[0])!;
  };
  return (x: Tensor) => {
    if (tf.getBackend() !== backend) tf.setBackend(backend);
    const y = tf.tidy(() => forward(tf.tensor(x.data as Float32Array, [...x.shape])));
    const data = y.dataSync() as Float32Array;
    y.dispose();
    return data;
  };
}

/** One Conv1D problem in tfjs ('cpu' or 'wasm' backend, selected before each call), grouped convolutions by split/concat. */
export async function tfjsConvRunner(tf: Tf, backend: 'cpu' | 'wasm', p: BenchProblem): Promise<{ run: Runner; dispose(): void }> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
  const s = p.spec;
  const x = tf.tensor3d(p.x, [s.batch, s.inLength, s.inChannels]);
  const cg = s.inChannels / s.groups;
  const fg = s.filters / s.groups;
  const kernel = tf.tensor3d(p.kernel, [s.kernelSize, cg, s.filters]);
  const filters = s.groups === 1 ? [kernel] : tf.split(kernel, s.groups, 2);
  const bias = tf.tensor1d(p.bias);
  const pad = p.padding === 'causal' ? 'valid' : p.padding;
  const conv = () =>
    tf.tidy(() => {
      const input = p.padding === 'causal' ? tf.pad(x, [[0, 0], [s.padBefore, 0], [0, 0]]) : x;
      const parts = s.groups === 1 ? [input] : tf.split(input, s.groups, 2);
      const outs = parts.map((part, g) => tf.conv1d(part as import('@tensorflow/tfjs-core').Tensor3D, filters[g] as import('@tensorflow/tfjs-core').Tensor3D, s.stride, pad, 'NWC', s.dilation));
      const y = outs.length === 1 ? outs[0] : tf.concat(outs, 2);
      return tf.add(y, bias);
    });
  void fg;
  return {
    run: () => {
      if (tf.getBackend() !== backend) tf.setBackend(backend);
      const y = conv();
      const data = y.dataSync() as Float32Array;
      y.dispose();
      return data;
    },
    dispose: () => {
      tf.dispose([x, kernel, bias, ...filters]);
    },
  };
}

