/**
 * Activation functions with Keras's exact semantics. Elementwise ones are applied in place over a
 * range of a Float32Array (the kernels call `applyElementwise` on each block they finish);
 * softmax / log_softmax need an axis and go through `applyActivation`.
 */
import type { Activation } from '../ir/ops/index.js';
import { wasmRelu } from './wasm/elementwise.js';

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
const SQRT_HALF = Math.SQRT1_2;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const SQRT_TWO_OVER_PI = 0.7978845608028654;

/**
 * erf to about 1e-15 relative (double precision, far beyond what float32 needs).
 * |x| < 3: the everywhere-positive series erf(x) = 2/√π e^{-x²} Σ (2x²)^n x / (1·3·…·(2n+1)),
 * which has no cancellation. |x| ≥ 3: 1 - erfc(x) with erfc's continued fraction
 * erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
 * Beyond 6, erf is 1 to double precision.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (a >= 6) return x > 0 ? 1 : -1;
  let r: number;
  if (a < 3) {
    const x2 = a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  } else {
    let f = a;
    for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

function sigmoid(x: number): number {
  // Stable on both sides: never exp of a large positive number.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * Keras ReLU (layer and `relu` activation): positive part `x > threshold ? x : 0` (plain max(x, 0)
 * when threshold is 0), clipped to [0, maxValue] when maxValue is set, plus `alpha * (x -
 * threshold)` below the threshold. Note that with a negative threshold and a maxValue, inputs in
 * (threshold, 0) are clipped to 0, as Keras does.
 */
function relu(x: number, alpha: number, maxValue: number | null, threshold: number): number {
  let y = threshold !== 0 ? (x > threshold ? x : 0) : x > 0 ? x : 0;
  if (maxValue !== null) y = Math.min(Math.max(y, 0), maxValue);
  if (alpha !== 0 && x < threshold) y += alpha * (x - threshold);
  return y;
}

/** A scalar function for an elementwise activation, or null for softmax-like ones. */
export function scalarActivation(act: Activation): ((x: number) => number) | null {
  const alpha = act.alpha;
  switch (act.fn) {
    case 'linear':
      return (x) => x;
    case 'relu': {
      const a = alpha ?? 0;
      const maxValue = act.maxValue ?? null;
      const threshold = act.threshold ?? 0;
      if (a === 0 && maxValue === null && threshold === 0) return (x) => (x > 0 ? x : 0);
      return (x) => relu(x, a, maxValue, threshold);
    }
    case 'relu6':
      return (x) => Math.min(Math.max(x, 0), 6);
    case 'leaky_relu': {
      const a = alpha ?? 0.3;
      return (x) => (x > 0 ? x : a * x);
    }
    case 'elu': {
      const a = alpha ?? 1;
      return (x) => (x > 0 ? x : a * Math.expm1(x));
    }
    case 'selu':
      return (x) => (x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x));
    case 'gelu':
      return (x) => 0.5 * x * (1 + erf(x * SQRT_HALF));
    case 'gelu_tanh':
      return (x) => 0.5 * x * (1 + Math.tanh(SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)));
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return sigmoid;
    case 'hard_sigmoid': {
      const a = alpha ?? 0.2;
      return (x) => Math.min(Math.max(a * x + 0.5, 0), 1);
    }
    case 'hard_silu': {
      const a = alpha ?? 1 / 6;
      return (x) => x * Math.min(Math.max(a * x + 0.5, 0), 1);
    }
    case 'softplus':
      return softplus;
    case 'softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'swish':
      return (x) => x * sigmoid(x);
    case 'mish':
      return (x) => x * Math.tanh(softplus(x));
    case 'exponential':
      return Math.exp;
    case 'thresholded_relu': {
      const t = act.threshold ?? 1;
      return (x) => (x > t ? x : 0);
    }
    case 'celu': {
      const a = alpha ?? 1;
      return (x) => Math.max(0, x) + Math.min(0, a * Math.expm1(x / a));
    }
    case 'sparse_plus':
      return (x) => (x <= -1 ? 0 : x >= 1 ? x : ((x + 1) * (x + 1)) / 4);
    case 'squareplus': {
      const b = alpha ?? 4;
      return (x) => (x + Math.sqrt(x * x + b)) / 2;
    }
    case 'soft_shrink': {
      const t = act.threshold ?? 0.5;
      return (x) => (x > t ? x - t : x < -t ? x + t : 0);
    }
    case 'hard_shrink': {
      const t = act.threshold ?? 0.5;
      return (x) => (Math.abs(x) > t ? x : 0);
    }
    case 'tanh_shrink':
      return (x) => x - Math.tanh(x);
    case 'log_sigmoid':
      return (x) => -softplus(-x);
    case 'hard_tanh':
      return (x) => Math.min(Math.max(x, -1), 1);
    case 'softmax':
    case 'log_softmax':
    case 'sparsemax':
    case 'glu':
      return null;
  }
}

/** Activations over an axis (softmax, log_softmax, sparsemax) or that change the shape (glu) are not elementwise. */
export function isElementwise(act: Activation): boolean {
  return act.fn !== 'softmax' && act.fn !== 'log_softmax' && act.fn !== 'sparsemax' && act.fn !== 'glu';
}

/**
 * Keras 3's sparsemax of `n` values at data[base + j * inner], in place: max(x - tau, 0). Keras
 * (3.15, TensorFlow backend) takes tau = (sum of the sorted cumulative sums over the support - 1)
 * / k, not the textbook (cumulative sum at k - 1) / k: the two agree only when the support has one
 * element. docs/keras3.md records it; the golden case model-activation-k3-extra pins it.
 */
function sparsemaxRow(data: Float32Array, base: number, n: number, inner: number): void {
  const z = Array.from({ length: n }, (_, j) => data[base + j * inner]).sort((a, b) => b - a);
  let cum = 0;
  let k = 0;
  let cumSum = 0;
  for (let j = 0; j < n; j++) {
    cum += z[j];
    if (z[j] - (cum - 1) / (j + 1) > 0) {
      k++;
      cumSum += cum;
    }
  }
  const tau = (cumSum - 1) / k;
  for (let j = 0; j < n; j++) data[base + j * inner] = Math.max(data[base + j * inner] - tau, 0);
}

/**
 * glu over the last axis: the output's last axis is half the input's; out = a * sigmoid(b) with a
 * the first half of each row and b the second.
 */
export function applyGlu(input: Float32Array, output: Float32Array, lastDim: number): void {
  const half = lastDim / 2;
  const rows = input.length / lastDim;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < half; c++) output[r * half + c] = input[r * lastDim + c] * sigmoid(input[r * lastDim + half + c]);
  }
}

/** Applies an elementwise activation in place to data[start, end). */
/** max(x, 0) with none of relu's options (leak, cap, threshold): the relu kernels fuse or vectorize. */
export function isPlainRelu(act: Activation): boolean {
  return act.fn === 'relu' && !act.alpha && (act.maxValue ?? null) === null && !act.threshold;
}

export function applyElementwise(act: Activation, data: Float32Array, start = 0, end = data.length): void {
  if (act.fn === 'linear') return;
  if (isPlainRelu(act)) {
    const range = start === 0 && end === data.length ? data : data.subarray(start, end);
    if (wasmRelu(range, range)) return; // in a plan's WebAssembly memory: SIMD, in place
    for (let i = start; i < end; i++) if (!(data[i] > 0)) data[i] = data[i] === data[i] ? 0 : data[i];
    return;
  }
  const f = scalarActivation(act);
  if (!f) throw new Error(`${act.fn} is not elementwise`);
  for (let i = start; i < end; i++) data[i] = f(data[i]);
}

/**
 * softmax / log_softmax over `axis` of a tensor of `shape`, in place. Subtracts the max first so
 * exp never overflows.
 */
export function applySoftmax(act: Activation, data: Float32Array, shape: readonly number[]): void {
  const rank = shape.length;
  const axis = (act.axis ?? -1) < 0 ? (act.axis ?? -1) + rank : act.axis!;
  const n = shape[axis];
  let inner = 1;
  for (let i = axis + 1; i < rank; i++) inner *= shape[i];
  const outer = data.length / (n * inner);
  const log = act.fn === 'log_softmax';
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      if (act.fn === 'sparsemax') {
        sparsemaxRow(data, base, n, inner);
        continue;
      }
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, data[base + j * inner]);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += Math.exp(data[base + j * inner] - max);
      if (log) {
        const lse = Math.log(sum);
        for (let j = 0; j < n; j++) data[base + j * inner] = data[base + j * inner] - max - lse;
      } else {
        for (let j = 0; j < n; j++) data[base + j * inner] = Math.exp(data[base + j * inner] - max) / sum;
      }
    }
  }
}

/** Any activation, in place, over a whole tensor of `shape`. */
export function applyActivation(act: Activation, data: Float32Array, shape: readonly number[]): void {
  if (isElementwise(act)) applyElementwise(act, data);
  else applySoftmax(act, data, shape);
}
