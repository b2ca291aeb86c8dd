/**
 * Tensors as JSON: nested arrays of numbers (`[[[0.1, 0.2], …]]`, the shape read from the nesting)
 * or `{"shape": [...], "data": [...], "dtype"?: "float32"|"int32"}`. What a JavaScript user can
 * write without NumPy; `kconv run` reads `.json` inputs and writes `.json` outputs with these.
 */
import { KconvError } from '../errors.js';
import { numElements, toFloat32, type Tensor } from '../tensor.js';

function fail(where: string, what: string): never {
  throw new KconvError('BAD_INPUT', `${where}: ${what}`);
}

/** A tensor from parsed JSON (nested arrays, or `{shape, data, dtype?}`); `where` names it in errors. */
export function tensorFromJson(value: unknown, where = 'JSON tensor'): Tensor {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { shape, data, dtype = 'float32' } = value as { shape?: unknown; data?: unknown; dtype?: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(where, `expected "shape" to be an array of non-negative integers, found ${JSON.stringify(shape)}`);
    if (dtype !== 'float32' && dtype !== 'int32') fail(where, `expected "dtype" float32 or int32, found ${JSON.stringify(dtype)}`);
    const flat = Array.isArray(data) ? data.flat(Infinity) : fail(where, 'expected "data" to be an array of numbers');
    const n = numElements(shape as number[]);
    if (flat.length !== n) fail(where, `shape [${(shape as number[]).join(', ')}] needs ${n} values, "data" has ${flat.length}`);
    return { dtype, shape: [...(shape as number[])], data: numbers(flat, dtype, where) };
  }
  if (!Array.isArray(value)) fail(where, `expected nested arrays of numbers or {shape, data}, found ${value === null ? 'null' : typeof value}`);
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  // Every sub-array at depth d must have length shape[d], and the leaves must sit at full depth.
  const check = (v: unknown, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') fail(where, `expected a number at ${at}, found ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) fail(where, `ragged arrays: expected ${shape[depth]} elements at ${at}, found ${Array.isArray(v) ? v.length : JSON.stringify(v)}`);
    v.forEach((x, i) => check(x, depth + 1, `${at}[${i}]`));
  };
  check(value, 0, '');
  return { dtype: 'float32', shape, data: numbers(value.flat(Infinity), 'float32', where) };
}

function numbers(flat: unknown[], dtype: 'float32' | 'int32', where: string): Float32Array | Int32Array {
  const bad = flat.findIndex((x) => typeof x !== 'number' || (dtype === 'int32' && !Number.isInteger(x)));
  if (bad >= 0) fail(where, `element ${bad} of the data is ${JSON.stringify(flat[bad])}, not ${dtype === 'int32' ? 'an integer' : 'a number'}`);
  return dtype === 'int32' ? Int32Array.from(flat as number[]) : Float32Array.from(flat as number[]);
}

/** A tensor as nested arrays of numbers (its values as float32; int tensors as integers). */
export function tensorToJson(t: Tensor): unknown {
  const values = t.dtype === 'int32' ? Array.from(t.data as Int32Array) : Array.from(toFloat32(t));
  if (t.shape.length === 0) return values[0];
  const build = (depth: number, offset: number): unknown[] => {
    const stride = numElements(t.shape.slice(depth + 1));
    return Array.from({ length: t.shape[depth] }, (_, i) => (depth === t.shape.length - 1 ? values[offset + i] : build(depth + 1, offset + i * stride)));
  };
  return build(0, 0);
}
