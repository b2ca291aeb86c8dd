/**
 * Tensors: a dtype, a row-major shape and a typed array holding exactly prod(shape) elements.
 * Weights keep the dtype they had in the file (so conversion is lossless); kernels compute in
 * float32. float16/bfloat16 data is kept as raw 16-bit patterns in a Uint16Array.
 */
import { KconvError } from './errors.js';

export type DType = 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | BigInt64Array;

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Record<DType, number> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
};

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The typed array that holds `dtype`, viewing `count` elements of `buffer` from `byteOffset`
 * (which must be a multiple of the element size). float16/bfloat16 are raw 16-bit patterns.
 */
export function typedView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, count: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, count);
    case 'float64':
      return new Float64Array(buffer, byteOffset, count);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, count);
    case 'int8':
      return new Int8Array(buffer, byteOffset, count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, count);
    case 'int16':
      return new Int16Array(buffer, byteOffset, count);
    case 'int32':
      return new Int32Array(buffer, byteOffset, count);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, count);
  }
}

/** Allocates a zero-filled typed array for `count` elements of `dtype`. */
export function allocate(dtype: DType, count: number): TypedArray {
  return typedView(dtype, new ArrayBuffer(count * DTYPE_SIZE[dtype]), 0, count);
}

/** Builds a tensor, checking that the data length matches the shape. */
export function tensor(dtype: DType, shape: readonly number[], data: TypedArray): Tensor {
  const n = numElements(shape);
  if (data.length !== n) {
    throw new KconvError('BAD_WEIGHTS', `tensor of shape [${shape.join(', ')}] needs ${n} elements, found ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

export function float32(shape: readonly number[], data?: ArrayLike<number>): Tensor {
  const n = numElements(shape);
  const arr = data === undefined ? new Float32Array(n) : Float32Array.from(data);
  return tensor('float32', shape, arr);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** The tensor's values as float32, for computing. Returns the same array when already float32. */
export function toFloat32(t: Tensor): Float32Array {
  const d = t.data;
  if (t.dtype === 'float32') return d as Float32Array;
  const out = new Float32Array(d.length);
  if (t.dtype === 'float16') {
    for (let i = 0; i < d.length; i++) out[i] = halfToFloat((d as Uint16Array)[i]);
  } else if (t.dtype === 'bfloat16') {
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    for (let i = 0; i < d.length; i++) {
      u[0] = (d as Uint16Array)[i] << 16;
      out[i] = f[0];
    }
  } else if (t.dtype === 'int64') {
    for (let i = 0; i < d.length; i++) out[i] = Number((d as BigInt64Array)[i]);
  } else {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  }
  return out;
}

/** True when both tensors have the same dtype, shape and bytes (the `exact` tolerance). */
export function tensorsIdentical(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) return false;
  if (a.shape.some((d, i) => d !== b.shape[i])) return false;
  const ab = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const bb = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (ab.length !== bb.length) return false;
  for (let i = 0; i < ab.length; i++) if (ab[i] !== bb[i]) return false;
  return true;
}
