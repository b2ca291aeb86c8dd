/**
 * TensorFlow's DataType enum (types.proto) → a name, its element size on disk, and the IR dtype
 * when kconv can hold it in a Tensor. `_REF` variants (100 + t) appear in graphs, never on disk.
 */
import type { DType } from '../tensor.js';

export interface TfDtypeInfo {
  /** Lower-case TF name without the DT_ prefix, e.g. 'float', 'int64', 'string'. */
  name: string;
  /** Bytes per element for memcpy-able types; 0 for string/variant/resource. */
  size: number;
  /** The IR dtype that holds it, when there is one. */
  ir?: DType;
}

const TABLE: Record<number, TfDtypeInfo> = {
  1: { name: 'float', size: 4, ir: 'float32' },
  2: { name: 'double', size: 8, ir: 'float64' },
  3: { name: 'int32', size: 4, ir: 'int32' },
  4: { name: 'uint8', size: 1, ir: 'uint8' },
  5: { name: 'int16', size: 2, ir: 'int16' },
  6: { name: 'int8', size: 1, ir: 'int8' },
  7: { name: 'string', size: 0 },
  8: { name: 'complex64', size: 8 },
  9: { name: 'int64', size: 8, ir: 'int64' },
  10: { name: 'bool', size: 1, ir: 'bool' },
  11: { name: 'qint8', size: 1 },
  12: { name: 'quint8', size: 1 },
  13: { name: 'qint32', size: 4 },
  14: { name: 'bfloat16', size: 2, ir: 'bfloat16' },
  15: { name: 'qint16', size: 2 },
  16: { name: 'quint16', size: 2 },
  17: { name: 'uint16', size: 2 },
  18: { name: 'complex128', size: 16 },
  19: { name: 'half', size: 2, ir: 'float16' },
  20: { name: 'resource', size: 0 },
  21: { name: 'variant', size: 0 },
  22: { name: 'uint32', size: 4 },
  23: { name: 'uint64', size: 8 },
};

export const DT_FLOAT = 1;
export const DT_STRING = 7;
export const DT_VARIANT = 21;

export function tfDtype(code: number): TfDtypeInfo {
  const base = code > 100 ? code - 100 : code;
  return TABLE[base] ?? { name: `dtype#${code}`, size: 0 };
}
