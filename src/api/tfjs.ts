/**
 * Interop with TensorFlow.js without depending on it: a tfjs `Tensor` keeps its values on its
 * backend (possibly a GPU), so `predict` cannot read it directly. `fromTfjs` reads the values
 * out; `toTfjs` hands a kconv output to the `tf` namespace the caller already imported.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * const [y] = await model.predict(await fromTfjs(tf.randomNormal([1, 100, 4])));
 * const yt = toTfjs(tf, y); // a tf.Tensor of the same shape
 * ```
 */
import { KconvError } from '../errors.js';
import type { DType, Tensor } from '../tensor.js';

/** What kconv needs of a tfjs Tensor (structurally: tfjs is not a dependency of kconv). */
export interface TfjsTensorLike {
  readonly shape: number[];
  readonly dtype: string;
  data(): Promise<ArrayLike<number> | unknown>;
}

/** What kconv needs of the tfjs namespace: `tf.tensor(values, shape, dtype)`. */
export interface TfjsLike<T> {
  tensor(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype?: 'float32' | 'int32' | 'bool'): T;
}

/** The values of a tfjs tensor as a kconv tensor (float32 and int32 as they are; bool as uint8). */
export async function fromTfjs(t: TfjsTensorLike): Promise<Tensor> {
  const data = await t.data();
  const shape = [...t.shape];
  if (t.dtype === 'float32' && data instanceof Float32Array) return { dtype: 'float32', shape, data };
  if (t.dtype === 'int32' && data instanceof Int32Array) return { dtype: 'int32', shape, data };
  if (t.dtype === 'bool' && data instanceof Uint8Array) return { dtype: 'uint8', shape, data };
  throw new KconvError('BAD_INPUT', `a tfjs tensor of dtype '${t.dtype}' has no numeric values kconv can run on: expected float32, int32 or bool`);
}

/** A kconv tensor as a tfjs tensor, through the caller's `tf` namespace. */
export function toTfjs<T>(tf: TfjsLike<T>, t: Tensor): T {
  const dtypes: Partial<Record<DType, 'float32' | 'int32' | 'bool'>> = { float32: 'float32', int32: 'int32', bool: 'bool' };
  const dtype = dtypes[t.dtype];
  if (!dtype) throw new KconvError('USAGE', `tfjs has no ${t.dtype} tensors: convert to float32 or int32 first`);
  return tf.tensor(t.data as Float32Array | Int32Array | Uint8Array, [...t.shape], dtype);
}
