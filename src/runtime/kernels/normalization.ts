/**
 * BatchNormalization (inference: moving statistics) and LayerNormalization.
 */
import { KconvError } from '../../errors.js';
import { normalizeAxis } from '../../ir/shapes.js';
import { prepareAffineWasm, prepareLayerNormWasm } from '../wasm/normalization.js';
import { optionalWeight, unary, weightF32, type NodeCompiler } from '../step.js';

/** Per-channel affine y = x·scale[c] + shift[c] along `axis` of `shape`, precomputed from the statistics. */
/**
 * Inference BatchNormalization as a per-channel affine map y = x·scale + shift, in float64:
 * scale = gamma / sqrt(variance + epsilon), shift = beta - mean·scale. The BatchNorm kernel and
 * the compile-time folding into a preceding layer (runtime/passes/fold-batchnorm.ts) share it.
 */
export function batchNormAffine(epsilon: number, mean: Float32Array, variance: Float32Array, gamma: Float32Array | null, beta: Float32Array | null): { scale: Float64Array; shift: Float64Array } {
  const C = mean.length;
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c] + epsilon);
    scale[c] = inv * (gamma ? gamma[c] : 1);
    shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
  }
  return { scale, shift };
}

export function prepareBatchNorm(
  shape: readonly number[],
  axis: number,
  epsilon: number,
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array | null,
  beta: Float32Array | null,
) {
  const C = shape[axis];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const { scale, shift } = batchNormAffine(epsilon, mean, variance, gamma, beta);
  // Over the last axis, in a plan's WebAssembly memory: the WASM SIMD kernel (bit for bit equal).
  const wasm = inner === 1 ? prepareAffineWasm(scale, shift) : null;
  return (input: Float32Array, output: Float32Array) => {
    if (wasm?.(input, output)) return;
    const n = input.length;
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / inner) % C;
      output[i] = input[i] * scale[c] + shift[c];
    }
  };
}

/**
 * Normalizes over `axes` (sorted, non-negative) of `shape`: y = (x - mean) / sqrt(var + eps) ·
 * gamma + beta, with gamma/beta shaped like the normalized axes. With `rmsScaling` (Keras 3), the
 * output is not centered and has no beta: y = x / sqrt(var(x) + eps) · gamma. Keras divides by the
 * standard deviation about the mean, not by the root mean square the name promises (Keras 3.15
 * deprecates the flag for that reason); the golden case model-layernorm-rms pins it.
 */
export function prepareLayerNorm(
  shape: readonly number[],
  axes: number[],
  epsilon: number,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  rmsScaling: boolean,
) {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const offsets = (dims: number[]): Int32Array => {
    let list = [0];
    for (const d of dims) {
      const next: number[] = [];
      for (const o of list) for (let i = 0; i < shape[d]; i++) next.push(o + i * strides[d]);
      list = next;
    }
    return Int32Array.from(list);
  };
  const reduced = offsets(axes); // in gamma's row-major order
  const kept = offsets([...Array(rank).keys()].filter((d) => !axes.includes(d)));
  const n = reduced.length;
  // Over the last axis, in a plan's WebAssembly memory: the WASM kernel (bit for bit equal).
  const wasm = axes.length === 1 && axes[0] === rank - 1 ? prepareLayerNormWasm(n, epsilon, gamma, beta, rmsScaling) : null;
  return (input: Float32Array, output: Float32Array) => {
    if (wasm?.(input, output)) return;
    for (let k = 0; k < kept.length; k++) {
      const base = kept[k];
      let mean = 0;
      for (let r = 0; r < n; r++) mean += input[base + reduced[r]];
      mean /= n;
      let variance = 0;
      for (let r = 0; r < n; r++) {
        const d = input[base + reduced[r]] - mean;
        variance += d * d;
      }
      variance /= n;
      const inv = 1 / Math.sqrt(variance + epsilon);
      for (let r = 0; r < n; r++) {
        const i = base + reduced[r];
        const centered = rmsScaling ? input[i] : input[i] - mean;
        output[i] = centered * inv * (gamma ? gamma[r] : 1) + (beta && !rmsScaling ? beta[r] : 0);
      }
    }
  };
}

export const compileBatchNorm: NodeCompiler<'BatchNormalization'> = (ctx, node, [inShape]) => {
  const a = node.attrs;
  const axis = normalizeAxis(a.axis, inShape.length, node, 'axis');
  const mean = weightF32(ctx, node, 'moving_mean');
  if (mean.length !== inShape[axis]) {
    throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (BatchNormalization): moving_mean has ${mean.length} values, axis ${axis} of the input has ${inShape[axis]}`, { where: `nodes/${node.name}/weights/moving_mean` });
  }
  return unary(prepareBatchNorm(inShape, axis, a.epsilon, mean, weightF32(ctx, node, 'moving_variance'), optionalWeight(ctx, node, 'gamma', a.scale), optionalWeight(ctx, node, 'beta', a.center)));
};

export const compileLayerNorm: NodeCompiler<'LayerNormalization'> = (ctx, node, [inShape]) => {
  const a = node.attrs;
  const axes = [...new Set(a.axes.map((ax, i) => normalizeAxis(ax, inShape.length, node, `axes[${i}]`)))].sort((x, y) => x - y);
  const n = axes.reduce((p, ax) => p * inShape[ax], 1);
  const gamma = optionalWeight(ctx, node, 'gamma', a.scale);
  const beta = optionalWeight(ctx, node, 'beta', a.center);
  for (const [role, w] of [['gamma', gamma], ['beta', beta]] as const) {
    if (w && w.length !== n) {
      throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (LayerNormalization): ${role} has ${w.length} values, the normalized axes hold ${n}`, { where: `nodes/${node.name}/weights/${role}` });
    }
  }
  return unary(prepareLayerNorm(inShape, axes, a.epsilon, gamma, beta, a.rmsScaling));
};

/**
 * Keras's Normalization layer: (x - mean) / max(sqrt(variance), eps), or mean + x · max(sqrt(var),
 * eps) when inverted; mean/variance indexed by the kept axes (one value for all when scalar).
 */
export const compileNormalization: NodeCompiler<'Normalization'> = (ctx, node, inShapes) => {
  const shape = inShapes[0];
  const mean = weightF32(ctx, node, 'mean');
  const variance = weightF32(ctx, node, 'variance');
  const axes = node.attrs.axes.map((a) => (a < 0 ? a + shape.length : a)).sort((a, b) => a - b);
  // stride of each kept axis inside the statistics (row-major over the kept axes)
  const statStride = new Map<number, number>();
  let s = 1;
  for (let i = axes.length - 1; i >= 0; i--) {
    statStride.set(axes[i], s);
    s *= shape[axes[i]];
  }
  const scalar = mean.length === 1;
  const std = Float64Array.from(variance, (v) => Math.max(Math.sqrt(v), node.attrs.epsilon));
  const strides: number[] = [];
  let t = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = t;
    t *= shape[i];
  }
  return (inputs, output) => {
    const x = inputs[0];
    for (let i = 0; i < x.length; i++) {
      let k = 0;
      if (!scalar) for (const a of axes) k += (Math.floor(i / strides[a]) % shape[a]) * statStride.get(a)!;
      output[i] = node.attrs.invert ? mean[k] + x[i] * std[k] : (x[i] - mean[k]) / std[k];
    }
  };
};
