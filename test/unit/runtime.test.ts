/**
 * Runtime behaviour per op, checked against definitions (small hand-checkable cases) or against
 * an independent route to the same answer (adjoint identity, reference kernel, layout transpose).
 * Agreement with real Keras is the golden tests' job.
 */
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Activation, Layout } from '../../src/ir/ops/index.js';
import { float32, tensor, type Tensor } from '../../src/tensor.js';
import { erf, scalarActivation } from '../../src/runtime/activations.js';
import { compile, conv1dReference, runGraph, type Conv1DImpl } from '../../src/runtime/index.js';
import { Rng } from '../helpers/random.js';

const LIN: Activation = { fn: 'linear' };

function run1(build: (b: GraphBuilder, x: string) => string, input: Tensor, inShape?: (number | null)[], dtype: 'float32' | 'int32' = 'float32'): Tensor {
  const b = new GraphBuilder('t');
  const x = b.input('x', inShape ?? input.shape.slice(1), { dtype });
  const y = build(b, x);
  return runGraph(b.build([y]), [input])[0];
}

const arr = (t: Tensor) => Array.from(t.data as Float32Array);

describe('activations', () => {
  it('erf matches known values to float64 precision', () => {
    // Reference values of the error function (tables / mpmath).
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(erf(-1.5)).toBeCloseTo(-0.9661051464753108, 14);
    expect(erf(4.5)).toBeCloseTo(0.9999999998033839, 14);
    expect(erf(10)).toBe(1);
  });

  it('Keras ReLU with max_value, negative_slope and threshold', () => {
    const f = scalarActivation({ fn: 'relu', alpha: 0.1, maxValue: 0.8, threshold: -0.2 })!;
    expect(f(2)).toBeCloseTo(0.8, 12); // clipped
    expect(f(0.5)).toBeCloseTo(0.5, 12);
    expect(f(-0.1)).toBe(0); // above threshold but negative: clip(x, 0, max) gives 0
    expect(f(-1)).toBeCloseTo(0.1 * (-1 + 0.2), 12); // below threshold: alpha * (x - threshold)
    const plain = scalarActivation({ fn: 'relu', threshold: 0.5 })!;
    expect(plain(0.4)).toBe(0);
    expect(plain(0.6)).toBeCloseTo(0.6, 12);
    expect(scalarActivation({ fn: 'relu', alpha: 0.2 })!(-2)).toBeCloseTo(-0.4, 12);
  });

  it('hard_sigmoid uses its slope; softplus is stable; selu constants', () => {
    expect(scalarActivation({ fn: 'hard_sigmoid', alpha: 0.2 })!(1)).toBeCloseTo(0.7, 12);
    expect(scalarActivation({ fn: 'hard_sigmoid', alpha: 1 / 6 })!(1)).toBeCloseTo(0.5 + 1 / 6, 12);
    expect(scalarActivation({ fn: 'hard_sigmoid', alpha: 0.2 })!(10)).toBe(1);
    expect(scalarActivation({ fn: 'softplus' })!(1000)).toBe(1000);
    expect(scalarActivation({ fn: 'softplus' })!(-1000)).toBe(0);
    expect(scalarActivation({ fn: 'selu' })!(1)).toBeCloseTo(1.0507009873554805, 12);
    expect(scalarActivation({ fn: 'gelu' })!(1)).toBeCloseTo(0.5 * (1 + 0.6826894921370859), 12); // erf(1/√2)
    expect(scalarActivation({ fn: 'swish' })!(2)).toBeCloseTo(2 / (1 + Math.exp(-2)), 12);
  });

  it('softmax subtracts the max (no overflow) and runs over the given axis', () => {
    const x = float32([1, 2, 3], [1000, 1001, 1002, 0, 0, 0]);
    const y = run1((b, v) => b.add('Activation', 'sm', [v], { activation: { fn: 'softmax', axis: -1 } }), x);
    const d = arr(y);
    expect(d[0] + d[1] + d[2]).toBeCloseTo(1, 6);
    expect(d[3]).toBeCloseTo(1 / 3, 6);
    const y1 = run1((b, v) => b.add('Activation', 'sm', [v], { activation: { fn: 'softmax', axis: 1 } }), x);
    expect(arr(y1)).toEqual(Array(6).fill(0.5).map((_, i) => arr(y1)[i])); // shape preserved
    expect(arr(y1)[0] + arr(y1)[3]).toBeCloseTo(1, 6);
  });
});

describe('Conv1D family', () => {
  const rng = new Rng(7);

  function convGraph(layout: Layout, groups: number, act: Activation, padding: 'same' | 'valid') {
    const b = new GraphBuilder('c');
    const C = 4;
    const x = b.input('x', layout === 'NWC' ? [null, C] : [C, null]);
    const y = b.add('Conv1D', 'conv', [x], {
      kernelSize: 3, stride: 2, dilation: 1, padding: padding === 'same' ? { kind: 'same' } : { kind: 'explicit', before: 0, after: 0 },
      layout, filters: 6, inChannels: C, groups, activation: act, useBias: true,
    }, { kernel: float32([3, C / groups, 6], rng.floats(3 * (C / groups) * 6)), bias: float32([6], rng.floats(6)) });
    return b.build([y]);
  }

  it('runs the blocked kernel by default and agrees with the reference kernel, softmax included', () => {
    for (const act of [LIN, { fn: 'softmax' } as Activation, { fn: 'gelu' } as Activation]) {
      const g = convGraph('NWC', 2, act, 'same');
      const x = float32([2, 11, 4], rng.floats(88));
      const blocked = compile(g, [[2, 11, 4]]).run([x])[0];
      const ref = compile(g, [[2, 11, 4]], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([x])[0];
      expect(blocked.shape).toEqual([2, 6, 6]);
      arr(blocked).forEach((v, i) => expect(v).toBeCloseTo(arr(ref)[i], 5));
    }
  });

  it('NCW gives the transpose of NWC', () => {
    const nwc = convGraph('NWC', 1, { fn: 'tanh' }, 'valid');
    const ncw = convGraph('NCW', 1, { fn: 'tanh' }, 'valid');
    ncw.weights = nwc.weights;
    const x = rng.floats(1 * 9 * 4);
    const xt = new Float32Array(36);
    for (let t = 0; t < 9; t++) for (let c = 0; c < 4; c++) xt[c * 9 + t] = x[t * 4 + c];
    const a = runGraph(nwc, [float32([1, 9, 4], x)])[0];
    const b = runGraph(ncw, [float32([1, 4, 9], xt)])[0];
    expect(b.shape).toEqual([1, 6, 4]);
    for (let t = 0; t < 4; t++) for (let f = 0; f < 6; f++) expect(arr(b)[f * 4 + t]).toBeCloseTo(arr(a)[t * 6 + f], 6);
  });

  it('variable length: a new length compiles a new plan, the same length reuses it, weights are packed once', () => {
    const g = convGraph('NWC', 1, LIN, 'same');
    let packs = 0;
    const counting: Conv1DImpl<unknown> = { ...conv1dReference, name: 'counting', pack: (p, k, b) => (packs++, conv1dReference.pack(p, k, b)) } as Conv1DImpl<unknown>;
    const p10 = compile(g, [[1, 10, 4]], { conv1d: counting });
    const p37 = compile(g, [[1, 37, 4]], { conv1d: counting });
    expect(compile(g, [[1, 10, 4]], { conv1d: counting })).toBe(p10);
    expect(p37.outputShapes).toEqual([[1, 19, 6]]);
    expect(packs).toBe(1);
    expect(() => p10.run([float32([1, 37, 4])])).toThrowError(KconvError);
  });

  it('DepthwiseConv1D is a grouped convolution with one group per channel', () => {
    const C = 3, M = 2, K = 3;
    const kernel = rng.floats(K * C * M);
    const x = float32([2, 8, C], rng.floats(2 * 8 * C));
    const attrs = { kernelSize: K, stride: 1, dilation: 2, padding: { kind: 'same' as const }, layout: 'NWC' as const };
    const dw = run1((b, v) => b.add('DepthwiseConv1D', 'dw', [v], { ...attrs, inChannels: C, depthMultiplier: M, activation: LIN, useBias: false }, { depthwise_kernel: float32([K, C, M], kernel) }), x);
    // By definition: out[t, c*M + m] = Σ_j x[t + 2j - 2, c] · k[j, c, m]
    for (let b = 0; b < 2; b++) for (let t = 0; t < 8; t++) for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) {
      let s = 0;
      for (let j = 0; j < K; j++) {
        const p = t + 2 * j - 2;
        if (p >= 0 && p < 8) s += (x.data as Float32Array)[(b * 8 + p) * C + c] * kernel[(j * C + c) * M + m];
      }
      expect(arr(dw)[(b * 8 + t) * C * M + c * M + m]).toBeCloseTo(s, 5);
    }
  });

  it('SeparableConv1D = DepthwiseConv1D then a 1-step Conv1D', () => {
    const C = 3, M = 2, K = 3, F = 5;
    const dk = float32([K, C, M], rng.floats(K * C * M));
    const pk = float32([1, C * M, F], rng.floats(C * M * F));
    const bias = float32([F], rng.floats(F));
    const x = float32([1, 10, C], rng.floats(30));
    const win = { kernelSize: K, stride: 2, dilation: 1, padding: { kind: 'explicit' as const, before: 0, after: 0 }, layout: 'NWC' as const };
    const sep = run1((b, v) => b.add('SeparableConv1D', 's', [v], { ...win, filters: F, inChannels: C, depthMultiplier: M, activation: { fn: 'relu' }, useBias: true }, { depthwise_kernel: dk, pointwise_kernel: pk, bias }), x);
    const two = run1((b, v) => {
      const d = b.add('DepthwiseConv1D', 'd', [v], { ...win, inChannels: C, depthMultiplier: M, activation: LIN, useBias: false }, { depthwise_kernel: dk });
      return b.add('Conv1D', 'p', [d], { kernelSize: 1, stride: 1, dilation: 1, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC', filters: F, inChannels: C * M, groups: 1, activation: { fn: 'relu' }, useBias: true }, { kernel: pk, bias });
    }, x);
    expect(sep.shape).toEqual([1, 4, F]);
    arr(sep).forEach((v, i) => expect(v).toBeCloseTo(arr(two)[i], 5));
  });

  it.each([
    ['valid', 1, 3, 1],
    ['valid', 3, 4, 1],
    ['valid', 2, 3, 2],
    ['same', 2, 3, 1],
    ['same', 1, 4, 1],
    ['same', 3, 5, 1],
  ] as const)('Conv1DTranspose (%s, stride %i, kernel %i, dilation %i) is the adjoint of Conv1D: <Tᵀy, x> = <y, Tx>', (padding, s, k, d) => {
    const Cin = 3, F = 2, L = 5;
    const kernel = rng.floats(k * F * Cin); // transpose layout [k, F, Cin] = forward [k, F in, Cin out]
    const y = float32([1, L, Cin], rng.floats(L * Cin));
    const up = run1((b, v) => b.add('Conv1DTranspose', 'up', [v], { kernelSize: k, stride: s, dilation: d, padding, outputPadding: null, layout: 'NWC', filters: F, inChannels: Cin, activation: LIN, useBias: false }, { kernel: float32([k, F, Cin], kernel) }), y);
    const T = up.shape[1];
    const x = float32([1, T, F], rng.floats(T * F));
    const down = run1((b, v) => b.add('Conv1D', 'down', [v], { kernelSize: k, stride: s, dilation: d, padding: padding === 'same' ? { kind: 'same' } : { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC', filters: Cin, inChannels: F, groups: 1, activation: LIN, useBias: false }, { kernel: float32([k, F, Cin], kernel) }), x);
    expect(down.shape).toEqual([1, L, Cin]);
    const dot = (a: Tensor, b: Tensor) => arr(a).reduce((acc, v, i) => acc + v * arr(b)[i], 0);
    expect(dot(up, x)).toBeCloseTo(dot(y, down), 4);
  });
});

describe('other ops', () => {
  it('AveragePooling1D same excludes padded positions from the divisor; MaxPooling1D ignores them', () => {
    const x = float32([1, 5, 1], [1, 2, 3, 4, 5]);
    const pool = { poolSize: 2, stride: 2, padding: { kind: 'same' as const }, layout: 'NWC' as const };
    expect(arr(run1((b, v) => b.add('AveragePooling1D', 'p', [v], pool), x))).toEqual([1.5, 3.5, 5]);
    const neg = float32([1, 5, 1], [-1, -2, -3, -4, -5]);
    expect(arr(run1((b, v) => b.add('MaxPooling1D', 'p', [v], pool), neg))).toEqual([-1, -3, -5]);
    const ncw = float32([1, 2, 5], [1, 2, 3, 4, 5, 10, 20, 30, 40, 50]);
    expect(arr(run1((b, v) => b.add('MaxPooling1D', 'p', [v], { ...pool, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NCW' }), ncw))).toEqual([2, 4, 20, 40]);
  });

  it('global pooling, keepDims', () => {
    const x = float32([1, 3, 2], [1, 10, 2, 20, 3, 30]);
    expect(arr(run1((b, v) => b.add('GlobalAveragePooling1D', 'g', [v], { layout: 'NWC', keepDims: false }), x))).toEqual([2, 20]);
    const y = run1((b, v) => b.add('GlobalMaxPooling1D', 'g', [v], { layout: 'NCW', keepDims: true }), x);
    expect(y.shape).toEqual([1, 3, 1]);
    expect(arr(y)).toEqual([10, 20, 30]);
  });

  it('Dense on a 3-D input applies to the last axis', () => {
    const x = float32([1, 2, 2], [1, 2, 3, 4]);
    const y = run1((b, v) => b.add('Dense', 'd', [v], { units: 1, inFeatures: 2, activation: LIN, useBias: true }, { kernel: float32([2, 1], [10, 1]), bias: float32([1], [0.5]) }), x);
    expect(y.shape).toEqual([1, 2, 1]);
    expect(arr(y)).toEqual([12.5, 34.5]);
  });

  it('Flatten: channels_first moves channels last first', () => {
    const x = float32([1, 2, 3], [1, 2, 3, 4, 5, 6]); // [C=2, L=3]
    expect(arr(run1((b, v) => b.add('Flatten', 'f', [v], { layout: 'NCW' }), x))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(arr(run1((b, v) => b.add('Flatten', 'f', [v], { layout: 'NWC' }), x))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('Permute, Reshape, ZeroPadding1D, Cropping1D, UpSampling1D, RepeatVector', () => {
    const x = float32([1, 3, 2], [1, 2, 3, 4, 5, 6]);
    const p = run1((b, v) => b.add('Permute', 'p', [v], { dims: [2, 1] }), x);
    expect(p.shape).toEqual([1, 2, 3]);
    expect(arr(p)).toEqual([1, 3, 5, 2, 4, 6]);
    const r = run1((b, v) => b.add('Reshape', 'r', [v], { targetShape: [-1, 3] }), x);
    expect(r.shape).toEqual([1, 2, 3]);
    expect(arr(run1((b, v) => b.add('ZeroPadding1D', 'z', [v], { before: 1, after: 2, layout: 'NWC' }), x))).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0]);
    expect(arr(run1((b, v) => b.add('ZeroPadding1D', 'z', [v], { before: 1, after: 0, layout: 'NCW' }), x))).toEqual([0, 1, 2, 0, 3, 4, 0, 5, 6]);
    expect(arr(run1((b, v) => b.add('Cropping1D', 'c', [v], { before: 1, after: 1, layout: 'NWC' }), x))).toEqual([3, 4]);
    expect(arr(run1((b, v) => b.add('UpSampling1D', 'u', [v], { size: 2 }), x))).toEqual([1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6]);
    const rv = run1((b, v) => b.add('RepeatVector', 'rv', [v], { n: 2 }), float32([2, 2], [1, 2, 3, 4]));
    expect(rv.shape).toEqual([2, 2, 2]);
    expect(arr(rv)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
  });

  it('accepts a model input that no output depends on (files can leave one disconnected)', () => {
    const b = new GraphBuilder('u');
    const p = b.input('p', [2]);
    b.input('unused', [3]);
    const y = b.add('Activation', 'act', [p], { activation: { fn: 'relu' } });
    const res = runGraph(b.build([y]), [float32([1, 2], [-1, 2]), float32([1, 3], [1, 2, 3])]);
    expect(arr(res[0])).toEqual([0, 2]);
  });

  it('merge layers, with broadcasting, and Concatenate', () => {
    const b = new GraphBuilder('m');
    const p = b.input('p', [2, 2]);
    const q = b.input('q', [1, 2]);
    const outs = (['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum'] as const).map((mode) => b.add('Merge', mode, [p, q], { mode }));
    const cat = b.add('Concatenate', 'cat', [p, p], { axis: 1 });
    const res = runGraph(b.build([...outs, cat]), [float32([1, 2, 2], [1, 2, 3, 4]), float32([1, 1, 2], [10, -1])]);
    expect(res.slice(0, 6).map(arr)).toEqual([
      [11, 1, 13, 3],
      [-9, 3, -7, 5],
      [10, -2, 30, -4],
      [5.5, 0.5, 6.5, 1.5],
      [10, 2, 10, 4],
      [1, -1, 3, -1],
    ]);
    expect(res[6].shape).toEqual([1, 4, 2]);
    expect(arr(res[6])).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
  });

  it('BatchNormalization (moving statistics) and LayerNormalization', () => {
    const x = float32([1, 2, 2], [1, 2, 3, 4]);
    const bn = run1((b, v) => b.add('BatchNormalization', 'bn', [v], { axis: -1, epsilon: 0, center: true, scale: true }, {
      gamma: float32([2], [2, 1]), beta: float32([2], [0, 1]), moving_mean: float32([2], [1, 2]), moving_variance: float32([2], [4, 1]),
    }), x);
    expect(arr(bn)).toEqual([0, 1, 2, 3]);
    const ln = run1((b, v) => b.add('LayerNormalization', 'ln', [v], { axes: [-1], epsilon: 0, center: true, scale: true, rmsScaling: false }, { gamma: float32([2], [1, 2]), beta: float32([2], [0, 10]) }), x);
    expect(arr(ln)).toEqual([-1, 12, -1, 12]);
    // Keras 3 rms_scaling: x / sqrt(var(x) + eps) · gamma, not centered (rows [1,2], [3,4]: var 0.25).
    const rms = run1((b, v) => b.add('LayerNormalization', 'rms', [v], { axes: [-1], epsilon: 0, center: false, scale: true, rmsScaling: true }, { gamma: float32([2], [1, 2]) }), x);
    expect(arr(rms)).toEqual([2, 8, 6, 16]);
  });

  it('Embedding takes int32 indices and rejects out-of-range ones', () => {
    const table = float32([3, 2], [0, 1, 10, 11, 20, 21]);
    const build = (b: GraphBuilder, v: string) => b.add('Embedding', 'e', [v], { inputDim: 3, outputDim: 2 }, { embeddings: table });
    const y = run1(build, tensor('int32', [1, 3], Int32Array.from([2, 0, 1])), [3], 'int32');
    expect(y.shape).toEqual([1, 3, 2]);
    expect(arr(y)).toEqual([20, 21, 0, 1, 10, 11]);
    expect(() => run1(build, tensor('int32', [1, 3], Int32Array.from([2, 3, 1])), [3], 'int32')).toThrowError(/index 3/);
  });

  it('PReLU broadcasts alpha over shared axes', () => {
    const x = float32([1, 2, 2], [-1, -2, 3, -4]);
    const y = run1((b, v) => b.add('PReLU', 'pr', [v], { sharedAxes: [1] }, { alpha: float32([1, 2], [0.5, 0.25]) }), x);
    expect(arr(y)).toEqual([-0.5, -0.5, 3, -1]);
  });

  it('buffers are reused across a long chain and outputs are fresh arrays', () => {
    const b = new GraphBuilder('chain');
    let v = b.input('x', [4, 2]);
    for (let i = 0; i < 20; i++) v = b.add('Activation', `a${i}`, [v], { activation: { fn: i % 2 ? 'tanh' : 'relu' } });
    const g = b.build([v]);
    const plan = compile(g, [[1, 4, 2]]);
    const first = plan.run([float32([1, 4, 2], [1, -1, 2, -2, 3, -3, 4, -4])])[0];
    const second = plan.run([float32([1, 4, 2], [0, 0, 0, 0, 0, 0, 0, 0])])[0];
    expect(arr(first)[0]).toBeGreaterThan(0);
    expect(arr(second)).toEqual(Array(8).fill(0));
  });
});
