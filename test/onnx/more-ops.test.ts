/**
 * The ONNX export of Normalization, the Keras 3 activations, TF-op layers and the attention layers,
 * run in onnxruntime, agrees with kconv's runtime on the same IR for each op and option (the
 * golden tier, test/roundtrip/onnx.test.ts, compares the golden models with real Keras). The
 * options ONNX cannot hold are refused naming the layer and the option.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Activation, ActivationFn } from '../../src/ir/ops/index.js';
import type { TfOpSpec } from '../../src/ir/tf-op.js';
import { float32, type Tensor } from '../../src/tensor.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { expectAgreesWithRuntime, loadOrt } from '../helpers/onnx.js';
import { Rng } from '../helpers/random.js';

const ort = await loadOrt();
const rng = new Rng(20261218);
const w = (shape: number[], scale = 0.5) => float32(shape, rng.floats(shape.reduce((a, b) => a * b, 1), scale));
const input = (shape: number[], scale = 2) => float32(shape, rng.floats(shape.reduce((a, b) => a * b, 1), scale));

async function agree(graph: Graph, inputs: Tensor[]): Promise<void> {
  await expectAgreesWithRuntime(ort!, writeOnnx(graph).bytes, graph, inputs);
}

/** x [2, 5, 4] (and y) through one TF op. */
function tfGraph(spec: TfOpSpec, inputs = 1, shapes: (number | null)[][] = [[5, 4]]): Graph {
  const b = new GraphBuilder('m');
  const xs = Array.from({ length: inputs }, (_, i) => b.input(`x${i}`, shapes[i] ?? shapes[0]));
  return b.build([b.add('TfOp', 'tf_op', xs, { function: 'test', spec })]);
}

const UNARY = ['abs', 'negative', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sign', 'round', 'floor', 'ceil', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'softsign', 'relu', 'relu6', 'elu', 'selu', 'silu', 'logical_not'] as const;
const BINARY = ['add', 'subtract', 'multiply', 'divide', 'floordiv', 'floormod', 'pow', 'maximum', 'minimum', 'squared_difference', 'greater', 'greater_equal', 'less', 'less_equal', 'equal', 'not_equal', 'logical_and', 'logical_or'] as const;
const POSITIVE = new Set(['log', 'sqrt', 'rsqrt', 'pow']);

/** Inputs with exact halves, integers and zeros (round, floor, comparisons and casts meet their edge cases). */
const edgy = (shape: number[], positive = false) => float32(shape, rng.floats(shape.reduce((a, b) => a * b, 1), 3).map((v, i) => (i % 3 === 0 ? Math.round(v * 2) / 2 : v)).map((v) => (positive ? Math.abs(v) + 0.1 : v)));

describe.runIf(ort !== null)('ONNX export of Normalization, Keras 3 activations, TF ops and attention agrees with the kconv runtime', () => {
  it.each([
    { axes: [-1], mean: [4], invert: false },
    { axes: [-1], mean: [4], invert: true },
    { axes: [], mean: [], invert: false },
    { axes: [1], mean: [5], invert: false },
    { axes: [1, 2], mean: [5, 4], invert: true },
  ])('Normalization %j (a zero variance meets the epsilon floor)', async ({ axes, mean, invert }) => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [5, 4]);
    const variance = w(mean, 1);
    variance.data = (variance.data as Float32Array).map((v, i) => (i === 0 ? 0 : Math.abs(v)));
    const y = b.add('Normalization', 'norm', [x], { axes, invert, epsilon: 1e-7 }, { mean: w(mean), variance });
    await agree(b.build([y]), [input([2, 5, 4])]);
  });

  const acts: Activation[] = (['celu', 'hard_tanh', 'tanh_shrink', 'log_sigmoid', 'soft_shrink', 'hard_shrink', 'squareplus', 'sparse_plus', 'glu', 'sparsemax'] as ActivationFn[]).map((fn) => ({ fn }));
  acts.push({ fn: 'celu', alpha: 0.6 }, { fn: 'soft_shrink', threshold: 1.2 }, { fn: 'hard_shrink', threshold: 0.2 }, { fn: 'squareplus', alpha: 0.5 });
  it.each(acts.map((a) => [JSON.stringify(a), a] as const))('activation %s, in Keras\'s and the swapped layout', async (_, act) => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 4]);
    const direct = b.add('Activation', 'direct', [x], { activation: act });
    const conv = b.add('Conv1D', 'conv', [x], { kernelSize: 2, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters: 4, inChannels: 4, groups: 1, activation: { fn: 'linear' }, useBias: false }, { kernel: w([2, 4, 4]) });
    const after = b.add('Activation', 'after_conv', [conv], { activation: act });
    await agree(b.build([direct, after]), [edgy([2, 7, 4])]);
  });

  it('sparsemax over the steps (a known length); refused over a length known only at run time', async () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [7, 4]);
    const conv = b.add('Conv1D', 'conv', [x], { kernelSize: 2, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters: 4, inChannels: 4, groups: 1, activation: { fn: 'linear' }, useBias: false }, { kernel: w([2, 4, 4]) });
    const direct = b.add('Activation', 'direct', [x], { activation: { fn: 'sparsemax', axis: 1 } });
    const after = b.add('Activation', 'after_conv', [conv], { activation: { fn: 'sparsemax', axis: 1 } });
    await agree(b.build([direct, after]), [edgy([2, 7, 4])]);
    const u = new GraphBuilder('m');
    const y = u.input('y', [null, 4]);
    expect(() => writeOnnx(u.build([u.add('Activation', 'act_sparsemax', [y], { activation: { fn: 'sparsemax', axis: 1 } })]))).toThrow(/sparsemax.*act_sparsemax.*known size/);
  });

  it.each(UNARY)('tf unary %s', async (fn) => {
    await agree(tfGraph({ kind: 'unary', fn }), [edgy([2, 5, 4], POSITIVE.has(fn))]);
  });

  it.each(BINARY)('tf binary %s of two tensors (broadcast) and of a tensor and a constant', async (fn) => {
    const pos = POSITIVE.has(fn);
    await agree(tfGraph({ kind: 'binary', fn, a: { input: 0 }, b: { input: 1 } }, 2, [[5, 4], [1, 4]]), [edgy([2, 5, 4], pos), edgy([2, 1, 4], pos)]);
    const c = edgy([4], pos);
    c.data[0] = -1.5;
    if (!pos) c.data[1] = 0;
    await agree(tfGraph({ kind: 'binary', fn, a: { constant: Array.from(c.data as Float32Array), shape: [4] }, b: { input: 0 } }), [edgy([2, 5, 4], pos)]);
  });

  it.each([
    { kind: 'leaky_relu', alpha: 0.15 },
    { kind: 'cast', dtype: 'int32' }, { kind: 'cast', dtype: 'bool' }, { kind: 'cast', dtype: 'float64' },
    ...(['sum', 'mean', 'max', 'min', 'prod'] as const).flatMap((fn) => [{ kind: 'reduce', fn, axes: [-1], keepDims: false }, { kind: 'reduce', fn, axes: [1, 2], keepDims: true }, { kind: 'reduce', fn, axes: null, keepDims: false }]),
    { kind: 'softmax', axis: 1, log: false }, { kind: 'softmax', axis: -1, log: true },
    { kind: 'reshape', shape: [-1, 2, 10] }, { kind: 'expand_dims', axis: 2 }, { kind: 'expand_dims', axis: -1 },
    { kind: 'transpose', perm: [0, 2, 1] }, { kind: 'transpose', perm: null },
    { kind: 'getitem', spec: [{ start: null, stop: null, step: null }, { index: -1 }] },
    { kind: 'getitem', spec: [{ ellipsis: true }, { start: null, stop: null, step: -1 }] },
    { kind: 'getitem', spec: [{ start: null, stop: null, step: null }, { start: -4, stop: null, step: 2 }, { newAxis: true }, { index: 1 }] },
    { kind: 'getitem', spec: [{ start: null, stop: null, step: null }, { start: 3, stop: 0, step: -2 }, { start: 1, stop: -1, step: null }] },
    { kind: 'getitem', spec: [{ start: null, stop: null, step: null }, { middle: true }] },
    { kind: 'getitem', spec: [{ start: null, stop: null, step: null }, { index: 2 }, { index: -2 }] },
  ] as TfOpSpec[])('tf %j', async (spec) => {
    await agree(tfGraph(spec), [edgy([2, 5, 4])]);
  });

  it('tf squeeze, concat, stack and matmul with transposes', async () => {
    await agree(tfGraph({ kind: 'squeeze', axes: [2] }, 1, [[5, 1]]), [edgy([2, 5, 1])]);
    await agree(tfGraph({ kind: 'concat', axis: 1 }, 2, [[5, 4], [3, 4]]), [edgy([2, 5, 4]), edgy([2, 3, 4])]);
    await agree(tfGraph({ kind: 'stack', axis: 1 }, 2), [edgy([2, 5, 4]), edgy([2, 5, 4])]);
    await agree(tfGraph({ kind: 'stack', axis: -1 }, 2), [edgy([2, 5, 4]), edgy([2, 5, 4])]);
    for (const [ta, tb, sa, sb] of [[false, false, [5, 4], [4, 3]], [true, false, [4, 5], [4, 3]], [false, true, [5, 4], [3, 4]], [true, true, [4, 5], [3, 4]]] as const) {
      await agree(tfGraph({ kind: 'matmul', transposeA: ta, transposeB: tb }, 2, [[...sa], [...sb]]), [edgy([2, ...sa]), edgy([2, ...sb])]);
    }
    // an unknown length: the Reshapes copy the batch and infer the steps
    await agree(tfGraph({ kind: 'getitem', spec: [{ start: null, stop: null, step: null }, { start: null, stop: null, step: null }, { newAxis: true }, { index: 0 }] }, 1, [[null, 4]]), [edgy([2, 6, 4])]);
    await agree(tfGraph({ kind: 'expand_dims', axis: 1 }, 1, [[null, 4]]), [edgy([2, 6, 4])]);
  });

  it.each([
    [{ kind: 'unary', fn: 'expm1' }, /expm1/],
    [{ kind: 'unary', fn: 'log1p' }, /log1p/],
    [{ kind: 'cast', dtype: 'float16' }, /float16/],
    [{ kind: 'squeeze', axes: null }, /squeeze without axes/],
    [{ kind: 'getitem', spec: [{ start: null, stop: null, step: null }, { middle: true }] }, /middle/],
  ] as [TfOpSpec, RegExp][])('tf %j is refused naming the layer and op', (spec, why) => {
    const g = tfGraph(spec, 1, [[null, 4]]);
    expect(() => writeOnnx(g)).toThrow(/tf_op.*tf\.test/);
    expect(() => writeOnnx(g)).toThrow(why);
  });

  const attentionCases = (['dot', 'concat', 'additive'] as const).flatMap((scoreMode) => [false, true].flatMap((useScale) => [false, true].flatMap((causal) => (['output', 'scores'] as const).map((returns) => ({ scoreMode, useScale, causal, returns })))));
  it.each(attentionCases)('Attention %j', async (a) => {
    const b = new GraphBuilder('m');
    const q = b.input('q', [4, 3]);
    const v = b.input('v', [6, 5]);
    const k = b.input('k', [6, 3]);
    const weights: Record<string, Tensor> = {};
    if (a.useScale) weights.scale = a.scoreMode === 'additive' ? w([3]) : float32([], [1.7]);
    if (a.scoreMode === 'concat') weights.concat_score_weight = float32([], [0.8]);
    const y = b.add('Attention', 'att', [q, v, k], a, weights);
    await agree(b.build([y]), [input([2, 4, 3]), input([2, 6, 5]), input([2, 6, 3])]);
  });

  it.each([false, true].flatMap((useBias) => [false, true].flatMap((causal) => (['output', 'scores'] as const).map((returns) => ({ useBias, causal, returns })))))('MultiHeadAttention %j', async (o) => {
    const b = new GraphBuilder('m');
    const q = b.input('q', [5, 3]);
    const v = b.input('v', [5, 4]);
    const k = b.input('k', [5, 2]);
    const [H, dk, dv, out] = [2, 3, 2, 6];
    const weights: Record<string, Tensor> = { query_kernel: w([3, H, dk]), key_kernel: w([2, H, dk]), value_kernel: w([4, H, dv]), output_kernel: w([H, dv, out]) };
    if (o.useBias) Object.assign(weights, { query_bias: w([H, dk]), key_bias: w([H, dk]), value_bias: w([H, dv]), output_bias: w([out]) });
    const y = b.add('MultiHeadAttention', 'mha', [q, v, k], { heads: H, keyDim: dk, valueDim: dv, outputDim: out, queryFeatures: 3, keyFeatures: 2, valueFeatures: 4, useBias: o.useBias, causal: o.causal, returns: o.returns }, weights);
    await agree(b.build([y]), [input([2, 5, 3]), input([2, 5, 4]), input([2, 5, 2])]);
  });

  it('a causal mask over an unknown length is refused naming the layer and option', () => {
    const b = new GraphBuilder('m');
    const q = b.input('q', [null, 3]);
    expect(() => writeOnnx(b.build([b.add('Attention', 'att', [q, q, q], { scoreMode: 'dot', useScale: false, causal: true, returns: 'output' })]))).toThrow(/'att'.*use_causal_mask/);
  });
});
