/**
 * NumPy `.npy` files: versions 1.0, 2.0 and 3.0 headers, little-endian `<f4`, `<f8`, `<i4`, `<i8`
 * in C order. Anything else is refused with a KconvError that names what was found.
 *
 * Layout: magic `\x93NUMPY`, major, minor, header length (u16 for v1, u32 for v2/v3), an ASCII
 * (v3: UTF-8) Python dict literal padded with spaces and ending in '\n', then the raw data.
 * The header is parsed as data by a tiny literal parser, never evaluated.
 */
import { KconvError } from '../errors.js';
import { numElements, type DType, type Tensor, type TypedArray } from '../tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, DType> = { '<f4': 'float32', '<f8': 'float64', '<i4': 'int32', '<i8': 'int64' };
const DTYPE_TO_DESCR: Partial<Record<DType, string>> = { float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8' };

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Parses the header dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
function parseHeader(text: string, file?: string): NpyHeader {
  const bad = (what: string) =>
    new KconvError('CORRUPT_FILE', `.npy header: ${what}; header was ${JSON.stringify(text.trim().slice(0, 200))}`, { file, where: 'npy header' });
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr) throw bad("no 'descr' key");
  if (!fortran) throw bad("no 'fortran_order' key");
  if (!shape) throw bad("no 'shape' tuple");
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+L?$/.test(s)) throw bad(`shape entry '${s}' is not a non-negative integer`);
      return Number.parseInt(s, 10);
    });
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims };
}

/** Reads a `.npy` file. The returned tensor's data is a copy (aligned), never a view into `bytes`. */
export function readNpy(bytes: Uint8Array, file?: string): Tensor {
  if (!isNpy(bytes)) {
    throw new KconvError('UNSUPPORTED_FORMAT', 'expected a NumPy .npy file (magic \\x93NUMPY), found other bytes', { file });
  }
  if (bytes.length < 10) throw new KconvError('CORRUPT_FILE', `.npy file is truncated: ${bytes.length} bytes`, { file });
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new KconvError('CORRUPT_FILE', `.npy file is truncated: ${bytes.length} bytes`, { file });
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new KconvError('UNSUPPORTED_FORMAT', `.npy format version ${major}.${bytes[7]} is not supported (expected 1.0, 2.0 or 3.0)`, { file });
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new KconvError('CORRUPT_FILE', `.npy header claims ${headerLen} bytes but the file has ${bytes.length - headerStart} after the preamble`, { file });
  }
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const header = parseHeader(headerText, file);
  const dtype = DESCR_TO_DTYPE[header.descr];
  if (!dtype) {
    throw new KconvError('UNSUPPORTED_FORMAT', `.npy dtype '${header.descr}' is not supported (expected one of ${Object.keys(DESCR_TO_DTYPE).join(', ')})`, { file, where: 'npy header descr' });
  }
  if (header.fortranOrder && header.shape.length > 1) {
    throw new KconvError('UNSUPPORTED_FORMAT', '.npy array is in Fortran order; save it in C order (np.ascontiguousarray)', { file, where: 'npy header fortran_order' });
  }
  const count = numElements(header.shape);
  const itemSize = dtype === 'float32' || dtype === 'int32' ? 4 : 8;
  const need = count * itemSize;
  if (bytes.length - dataStart !== need) {
    throw new KconvError('CORRUPT_FILE', `.npy data: shape [${header.shape.join(', ')}] of ${header.descr} needs ${need} bytes, found ${bytes.length - dataStart}`, { file, where: 'npy data' });
  }
  // Copy (Node's Buffer.slice would be a view): aligned, and independent of the caller's bytes.
  const raw = new Uint8Array(need);
  raw.set(bytes.subarray(dataStart, dataStart + need));
  let data: TypedArray;
  switch (dtype) {
    case 'float32':
      data = new Float32Array(raw.buffer, 0, count);
      break;
    case 'float64':
      data = new Float64Array(raw.buffer, 0, count);
      break;
    case 'int32':
      data = new Int32Array(raw.buffer, 0, count);
      break;
    default:
      data = new BigInt64Array(raw.buffer, 0, count);
  }
  return { dtype, shape: header.shape, data };
}

/** Writes a version 1.0 `.npy` file (the header padded so the data starts on a 64-byte boundary, as NumPy does). */
export function writeNpy(t: Tensor): Uint8Array {
  const descr = DTYPE_TO_DESCR[t.dtype];
  if (!descr) {
    throw new KconvError('UNSUPPORTED_FEATURE', `cannot write dtype ${t.dtype} to .npy (supported: ${Object.keys(DTYPE_TO_DESCR).join(', ')})`);
  }
  if (t.data.length !== numElements(t.shape)) {
    throw new KconvError('BAD_INPUT', `tensor data has ${t.data.length} elements but shape [${t.shape.join(', ')}] needs ${numElements(t.shape)}`);
  }
  const shapeText = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  dict = dict + ' '.repeat(total - unpadded) + '\n';
  const headerLen = dict.length;
  if (headerLen > 0xffff) throw new KconvError('UNSUPPORTED_FEATURE', 'shape too long for a version 1.0 .npy header');
  const dataBytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(10 + headerLen + dataBytes.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerLen, true);
  for (let i = 0; i < headerLen; i++) out[10 + i] = dict.charCodeAt(i);
  out.set(dataBytes, 10 + headerLen);
  return out;
}
