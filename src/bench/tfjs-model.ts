/**
 * A kconv IR graph rebuilt in tfjs-core ops (for the whole-model benchmark, in Node and in the
 * browser page): no Node imports.
 */
import type { Graph, Node } from '../ir/graph.js';
import type { Activation, Conv1DAttrs, MergeAttrs } from '../ir/ops/index.js';
import { resolvePadding } from '../ir/padding.js';
import type { Tensor } from '../tensor.js';
import type { BenchProblem, Tf } from './peers.js';
import type { Runner } from './timing.js';

/**
 * The graph rebuilt in tfjs-core ops from the weights kconv read: what a user porting the model
 * to tfjs by hand would write. Covers the ops of the fixture stacks (Conv1D channels-last with
 * relu/linear, Add, relu Activation, inference-time identities); anything else is refused.
 */
export async function tfjsModel(tf: Tf, backend: 'cpu' | 'wasm', graph: Graph): Promise<(x: Tensor) => Float32Array> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
  type T3 = import('@tensorflow/tfjs-core').Tensor3D;
  const weight = (node: Node, role: string) => {
    const t = graph.weights.get(node.weights[role]);
    if (!t) throw new Error(`no ${role} for ${node.name}`);
    return tf.tensor(t.data as Float32Array, [...t.shape]);
  };
  const consts = new Map<string, import('@tensorflow/tfjs-core').Tensor>();
  const activate = (y: T3, a: Activation): T3 => {
    if (a.fn === 'linear') return y;
    if (a.fn === 'relu' && !a.alpha && (a.maxValue ?? null) === null && !a.threshold) return tf.relu(y);
    throw new Error(`activation ${a.fn} is not in the tfjs translation`);
  };
  for (const node of graph.nodes) {
    if (node.op !== 'Conv1D') continue;
    const a = node.attrs as Conv1DAttrs;
    if (a.groups !== 1 || a.layout !== 'NWC') throw new Error(`${node.name}: grouped or channels-first Conv1D is not in the tfjs translation`);
    activate(tf.zeros([1, 1, 1]) as T3, a.activation).dispose(); // refuse unknown activations now
    consts.set(`${node.name}/kernel`, weight(node, 'kernel'));
    if (a.useBias) consts.set(`${node.name}/bias`, weight(node, 'bias'));
  }
  const forward = (x: T3): T3 => {
    const values = new Map<string, T3>([[graph.inputs[0], x]]);
    for (const node of graph.nodes) {
      const ins = node.inputs.map((v) => values.get(v)!);
      let y: T3;
      switch (node.op) {
        case 'Input':
          continue;
        case 'Conv1D': {
          const a = node.attrs as Conv1DAttrs;
          const p = resolvePadding(a.padding, ins[0].shape[1], a.kernelSize, a.stride, a.dilation);
          const padded = p.before || p.after ? tf.pad(ins[0], [[0, 0], [p.before, p.after], [0, 0]]) : ins[0];
          y = tf.conv1d(padded, consts.get(`${node.name}/kernel`) as T3, a.stride, 'valid', 'NWC', a.dilation);
          const b = consts.get(`${node.name}/bias`);
          if (b) y = tf.add(y, b);
          y = activate(y, a.activation);
          break;
        }
        case 'Identity':
          y = ins[0];
          break;
        case 'Activation':
          y = activate(ins[0], (node.attrs as { activation: Activation }).activation);
          break;
        case 'Merge':
          if ((node.attrs as MergeAttrs).mode !== 'add') throw new Error(`merge ${(node.attrs as MergeAttrs).mode} is not in the tfjs translation`);
          y = tf.addN(ins);
          break;
        default:
          throw new Error(`op ${node.op} is not in the tfjs translation`);
      }
      values.set(node.outputs[0], y);
    }
    return values.get(graph.outputs[0])!;
  };
  return (x: Tensor) => {
    if (tf.getBackend() !== backend) tf.setBackend(backend);
    const y = tf.tidy(() => forward(tf.tensor3d(x.data as Float32Array, x.shape as [number, number, number])));
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

