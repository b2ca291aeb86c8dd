/**
 * Kernels of the TensorFlow ops that tf.keras 2.4-2.15 records as TFOpLambda / SlicingOpLambda
 * layers (src/ir/tf-op.ts defines them; src/keras/layers/tf-op.ts maps the recorded calls). Tensors are row-major
 * float32 with their full shape, batch axis included; booleans are 0/1 and integer casts
 * truncate toward zero, as TensorFlow's cast does. Elementwise binary ops broadcast like NumPy.
 */
import { KconvError } from '../../errors.js';
import type { NodeCompiler } from '../step.js';
import type { BinaryFn, CastDType, ReduceFn, SliceItem, TfOpSpec, UnaryFn } from '../../ir/tf-op.js';

export interface NdArray {
  shape: number[];
  data: Float32Array;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const nd = (shape: number[], data?: Float32Array): NdArray => ({ shape, data: data ?? new Float32Array(size(shape)) });

/** Round half to even, as tf.math.round does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

const UNARY: Record<UnaryFn, (x: number) => number> = {
  abs: Math.abs,
  negative: (x) => -x,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  round: roundHalfEven,
  floor: Math.floor,
  ceil: Math.ceil,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  softsign: (x) => x / (1 + Math.abs(x)),
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  silu: (x) => x * UNARY.sigmoid(x),
  logical_not: (x) => (x === 0 ? 1 : 0),
};

const BINARY: Record<BinaryFn, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
  divide: (a, b) => a / b,
  floordiv: (a, b) => Math.floor(a / b),
  // the remainder takes the divisor's sign (tf.math.floormod)
  floormod: (a, b) => a - Math.floor(a / b) * b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  squared_difference: (a, b) => (a - b) * (a - b),
  greater: (a, b) => (a > b ? 1 : 0),
  greater_equal: (a, b) => (a >= b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  less_equal: (a, b) => (a <= b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
  not_equal: (a, b) => (a !== b ? 1 : 0),
  logical_and: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logical_or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};

export function unary(fn: UnaryFn, x: NdArray, alpha?: number): NdArray {
  const out = nd([...x.shape]);
  const f = fn === 'elu' && alpha !== undefined ? (v: number) => (v > 0 ? v : alpha * Math.expm1(v)) : UNARY[fn];
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

/** tf.nn.leaky_relu(features, alpha). */
export function leakyRelu(x: NdArray, alpha: number): NdArray {
  const out = nd([...x.shape]);
  for (let i = 0; i < x.data.length; i++) out.data[i] = x.data[i] >= 0 ? x.data[i] : alpha * x.data[i];
  return out;
}

/** NumPy broadcasting of two shapes; throws naming both when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[], where = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new KconvError('INVALID_GRAPH', `shapes [${a}] and [${b}] do not broadcast`, { where });
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides of `shape` as seen from broadcast shape `out` (0 along broadcast axes). */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = out.length - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

export function binary(fn: BinaryFn, a: NdArray, b: NdArray): NdArray {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = nd(shape);
  const f = BINARY[fn];
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const idx = new Array(shape.length).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < out.data.length; i++) {
    // float32 operands and result, like TensorFlow's float32 kernels
    out.data[i] = f(a.data[ia], b.data[ib]);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < shape[d]) break;
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

export function cast(x: NdArray, dtype: CastDType): NdArray {
  const out = nd([...x.shape]);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    if (dtype === 'bool') out.data[i] = v !== 0 ? 1 : 0;
    else if (dtype.startsWith('int') || dtype === 'uint8') out.data[i] = Math.trunc(v);
    else out.data[i] = v;
  }
  return out;
}

function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new KconvError('BAD_CONFIG', `axis ${axis} is out of range for a rank-${rank} tensor`, { where });
  return a;
}

/** reduce_* over `axes` (null: all axes), keeping reduced axes as 1 when keepDims. */
export function reduce(fn: ReduceFn, x: NdArray, axes: number[] | null, keepDims: boolean, where = 'reduce'): NdArray {
  const rank = x.shape.length;
  const set = new Set((axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, rank, where)));
  const kept = x.shape.map((d, i) => (set.has(i) ? 1 : d));
  const outShape = keepDims ? kept : x.shape.filter((_, i) => !set.has(i));
  const n = size(kept);
  const acc = new Float64Array(n).fill(fn === 'max' ? -Infinity : fn === 'min' ? Infinity : fn === 'prod' ? 1 : 0);
  const strides = broadcastStrides(kept, x.shape);
  const idx = new Array(rank).fill(0);
  let o = 0;
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    if (fn === 'max') acc[o] = v > acc[o] || Number.isNaN(v) ? v : acc[o];
    else if (fn === 'min') acc[o] = v < acc[o] || Number.isNaN(v) ? v : acc[o];
    else if (fn === 'prod') acc[o] *= v;
    else acc[o] += v;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      o += strides[d];
      if (idx[d] < x.shape[d]) break;
      o -= strides[d] * x.shape[d];
      idx[d] = 0;
    }
  }
  const count = x.data.length / Math.max(n, 1);
  const out = nd(outShape);
  for (let i = 0; i < n; i++) out.data[i] = fn === 'mean' ? acc[i] / count : acc[i];
  return out;
}

/** softmax (or log_softmax) along `axis`. */
export function softmax(x: NdArray, axis: number, log = false, where = 'softmax'): NdArray {
  const a = normAxis(axis, x.shape.length, where);
  const n = x.shape[a];
  const inner = size(x.shape.slice(a + 1));
  const outer = size(x.shape.slice(0, a));
  const out = nd([...x.shape]);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let max = -Infinity;
      for (let k = 0; k < n; k++) max = Math.max(max, x.data[base + k * inner]);
      let sum = 0;
      for (let k = 0; k < n; k++) sum += Math.exp(x.data[base + k * inner] - max);
      for (let k = 0; k < n; k++) {
        const z = x.data[base + k * inner] - max;
        out.data[base + k * inner] = log ? z - Math.log(sum) : Math.exp(z) / sum;
      }
    }
  }
  return out;
}

/** tf.reshape with a full target shape (batch included); one entry may be -1. */
export function reshape(x: NdArray, target: number[], where = 'reshape'): NdArray {
  const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const unknown = target.filter((d) => d === -1).length;
  const shape = target.map((d) => (d === -1 ? x.data.length / known : d));
  if (unknown > 1 || !shape.every((d) => Number.isInteger(d) && d >= 0) || size(shape) !== x.data.length) {
    throw new KconvError('INVALID_GRAPH', `cannot reshape a tensor of shape [${x.shape}] to [${target}]`, { where });
  }
  return { shape, data: x.data };
}

export function expandDims(x: NdArray, axis: number, where = 'expand_dims'): NdArray {
  const a = normAxis(axis, x.shape.length + 1, where);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return { shape, data: x.data };
}

export function squeeze(x: NdArray, axes: number[] | null, where = 'squeeze'): NdArray {
  const rank = x.shape.length;
  const set = axes === null ? null : new Set(axes.map((a) => normAxis(a, rank, where)));
  if (set) for (const a of set) if (x.shape[a] !== 1) throw new KconvError('INVALID_GRAPH', `cannot squeeze axis ${a} of size ${x.shape[a]}`, { where });
  return { shape: x.shape.filter((d, i) => (set ? !set.has(i) : d !== 1)), data: x.data };
}

/** tf.transpose; `perm` null reverses the axes. */
export function transpose(x: NdArray, perm: number[] | null, where = 'transpose'): NdArray {
  const rank = x.shape.length;
  const p = perm ?? x.shape.map((_, i) => rank - 1 - i);
  if (p.length !== rank || new Set(p.map((a) => normAxis(a, rank, where))).size !== rank) {
    throw new KconvError('BAD_CONFIG', `perm [${p}] is not a permutation of ${rank} axes`, { where });
  }
  const perm2 = p.map((a) => normAxis(a, rank, where));
  const shape = perm2.map((a) => x.shape[a]);
  const inStrides = broadcastStrides(x.shape, x.shape);
  const strides = perm2.map((a) => inStrides[a]);
  const out = nd(shape);
  const idx = new Array(rank).fill(0);
  let src = 0;
  for (let i = 0; i < out.data.length; i++) {
    out.data[i] = x.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += strides[d];
      if (idx[d] < shape[d]) break;
      src -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

export function concat(xs: NdArray[], axis: number, where = 'concat'): NdArray {
  const rank = xs[0].shape.length;
  const a = normAxis(axis, rank, where);
  for (const x of xs) {
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new KconvError('INVALID_GRAPH', `cannot concatenate shapes ${xs.map((t) => `[${t.shape}]`).join(', ')} on axis ${axis}`, { where });
    }
  }
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  const outer = size(shape.slice(0, a));
  const out = nd(shape);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const x of xs) {
      const chunk = size(x.shape.slice(a));
      out.data.set(x.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return out;
}

export function stack(xs: NdArray[], axis: number, where = 'stack'): NdArray {
  return concat(
    xs.map((x) => expandDims(x, axis < 0 ? axis + x.shape.length + 1 : axis, where)),
    axis,
    where,
  );
}

/** tf.linalg.matmul over the last two axes, leading axes broadcast. */
export function matmul(a: NdArray, b: NdArray, transposeA: boolean, transposeB: boolean, where = 'matmul'): NdArray {
  if (a.shape.length < 2 || b.shape.length < 2) throw new KconvError('INVALID_GRAPH', `matmul needs rank >= 2, found [${a.shape}] and [${b.shape}]`, { where });
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, ka] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = transposeB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (ka !== kb) throw new KconvError('INVALID_GRAPH', `matmul inner dimensions differ: [${a.shape}] and [${b.shape}]`, { where });
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), where);
  const out = nd([...batch, m, n]);
  const nb = size(batch);
  const sa = broadcastStrides(a.shape.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), batch);
  const matA = a.shape[ra - 2] * a.shape[ra - 1];
  const matB = b.shape[rb - 2] * b.shape[rb - 1];
  const idx = new Array(batch.length).fill(0);
  for (let t = 0; t < nb; t++) {
    let offA = 0;
    let offB = 0;
    for (let d = 0; d < batch.length; d++) {
      offA += idx[d] * sa[d];
      offB += idx[d] * sb[d];
    }
    offA *= matA;
    offB *= matB;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < ka; k++) {
          const av = transposeA ? a.data[offA + k * m + i] : a.data[offA + i * ka + k];
          const bv = transposeB ? b.data[offB + j * kb + k] : b.data[offB + k * n + j];
          s += av * bv;
        }
        out.data[(t * m + i) * n + j] = s;
      }
    }
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Python slice bounds of one axis of length n: [start, count, step]. */
function sliceBounds(n: number, start: number | null, stop: number | null, step: number | null, where: string): [number, number, number] {
  const s = step ?? 1;
  if (!Number.isInteger(s) || s === 0) throw new KconvError('BAD_CONFIG', `slice step must be a non-zero integer, found ${step}`, { where });
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  let b: number;
  let e: number;
  if (s > 0) {
    b = start === null ? 0 : norm(start, 0, n);
    e = stop === null ? n : norm(stop, 0, n);
  } else {
    b = start === null ? n - 1 : norm(start, -1, n - 1);
    e = stop === null ? -1 : norm(stop, -1, n - 1);
  }
  const count = Math.max(0, Math.ceil((e - b) / s));
  return [b, count, s];
}

/** `tensor[spec]` with Python/NumPy basic indexing (indexes, slices, None, one Ellipsis). */
export function getItem(x: NdArray, spec: SliceItem[], where = 'getitem'): NdArray {
  const consumed = spec.filter((s) => !('newAxis' in s) && !('ellipsis' in s)).length;
  const ellipses = spec.filter((s) => 'ellipsis' in s).length;
  if (ellipses > 1 || consumed > x.shape.length) throw new KconvError('BAD_CONFIG', `a subscript of ${spec.length} items does not fit a rank-${x.shape.length} tensor`, { where });
  // expand the Ellipsis (or pad at the end) with full slices
  const full: SliceItem[] = [];
  for (const s of spec) {
    if ('ellipsis' in s) for (let i = 0; i < x.shape.length - consumed; i++) full.push({ start: null, stop: null, step: null });
    else full.push(s);
  }
  while (full.filter((s) => !('newAxis' in s)).length < x.shape.length) full.push({ start: null, stop: null, step: null });
  // per input axis: first index, count, step, whether it stays in the output
  const axes: { begin: number; count: number; step: number; keep: boolean }[] = [];
  const outShape: number[] = [];
  let d = 0;
  for (const s of full) {
    if ('newAxis' in s) {
      outShape.push(1);
      continue;
    }
    const n = x.shape[d];
    if ('index' in s || 'middle' in s) {
      const index = 'middle' in s ? Math.floor(n / 2) : s.index;
      const i = index < 0 ? index + n : index;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new KconvError('INVALID_GRAPH', `index ${index} is out of range for axis ${d} of size ${n}`, { where });
      axes.push({ begin: i, count: 1, step: 1, keep: false });
    } else if ('start' in s) {
      const [begin, count, step] = sliceBounds(n, s.start, s.stop, s.step, where);
      axes.push({ begin, count, step, keep: true });
      outShape.push(count);
    }
    d++;
  }
  const strides = broadcastStrides(x.shape, x.shape);
  const counts = axes.map((a) => a.count);
  const out = nd(outShape);
  if (out.data.length === 0) return out;
  const idx = new Array(axes.length).fill(0);
  for (let i = 0; i < out.data.length; i++) {
    let src = 0;
    for (let k = 0; k < axes.length; k++) src += (axes[k].begin + idx[k] * axes[k].step) * strides[k];
    out.data[i] = x.data[src];
    for (let k = axes.length - 1; k >= 0; k--) {
      if (++idx[k] < counts[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** Runs one TF op on its tensor inputs (constants are part of the spec). */
export function runTfOp(spec: TfOpSpec, inputs: NdArray[], where = 'tf op'): NdArray {
  const operand = (o: Extract<TfOpSpec, { kind: 'binary' }>['a']): NdArray => ('input' in o ? inputs[o.input] : { shape: o.shape, data: Float32Array.from(o.constant) });
  switch (spec.kind) {
    case 'unary':
      return unary(spec.fn, inputs[0]);
    case 'leaky_relu':
      return leakyRelu(inputs[0], spec.alpha);
    case 'binary':
      return binary(spec.fn, operand(spec.a), operand(spec.b));
    case 'cast':
      return cast(inputs[0], spec.dtype);
    case 'reduce':
      return reduce(spec.fn, inputs[0], spec.axes, spec.keepDims, where);
    case 'softmax':
      return softmax(inputs[0], spec.axis, spec.log, where);
    case 'reshape':
      return reshape(inputs[0], spec.shape, where);
    case 'expand_dims':
      return expandDims(inputs[0], spec.axis, where);
    case 'squeeze':
      return squeeze(inputs[0], spec.axes, where);
    case 'transpose':
      return transpose(inputs[0], spec.perm, where);
    case 'concat':
      return concat(inputs, spec.axis, where);
    case 'stack':
      return stack(inputs, spec.axis, where);
    case 'matmul':
      return matmul(inputs[0], inputs[1], spec.transposeA, spec.transposeB, where);
    case 'getitem':
      return getItem(inputs[0], spec.spec, where);
  }
}

/** A TF op as a plan step (its tensor inputs in order; constants are in the spec). */
export const compileTfOp: NodeCompiler<'TfOp'> = (_ctx, node, inShapes) => {
  const where = `nodes/${node.name}`;
  return (inputs, output) => {
    const r = runTfOp(node.attrs.spec, inputs.map((data, i) => ({ shape: [...inShapes[i]], data })), where);
    output.set(r.data);
  };
};
