/**
 * Reading HDF5 files from bytes: groups, attributes and datasets, with every value normalized the
 * way Keras readers need it, whatever h5py version wrote the file.
 *
 * Attribute normalization (docs/keras-formats.md §1.5): fixed-length (NUL-padded) and variable-length
 * strings, ASCII ("bytes" in Python) or UTF-8 ("str"), all decode to JS strings (as UTF-8: Keras
 * wrote bytes with `.encode('utf8')`); a scalar gives one value, a 1-D array a list; an empty
 * numeric array (h5py's `numpy.asarray([])`, float64 of shape (0,)) gives `[]`, which is how
 * Keras stores an empty name list. Large name lists are split by Keras into `name0`, `name1`, …
 * attributes: `chunkedAttr` joins them (§1.6).
 *
 * Every failure is a KconvError whose `where` is the HDF5 path (`/model_weights/conv1d@weight_names`
 * for an attribute). A file without the HDF5 signature is UNSUPPORTED_FORMAT; one that has it but
 * cannot be read (truncated, damaged) is CORRUPT_FILE.
 *
 * Nothing here knows about Keras. Writing will live next to this file and share hdf5-runtime.ts.
 */
import { checkHdf5Bytes } from './hdf5-preflight.js';
import { KconvError } from '../errors.js';
import { DTYPE_SIZE, numElements, tensor, typedView, type DType, type Tensor, type TypedArray } from '../tensor.js';
import { callHdf5, h5Runtime, scratchPath, withHeapCap, type H5Module, type H5Runtime, type HeapCap } from './hdf5-runtime.js';
import { checkTensorBytes, TensorBudget } from '../limits.js';

/** An attribute value after normalization. */
export type Hdf5AttrValue = string | string[] | number | number[];

export interface Hdf5DatasetInfo {
  shape: number[];
  /** The kconv dtype the data maps to. */
  dtype: DType;
}

export interface Hdf5OpenOptions {
  /**
   * The load's limits and running total: every dataset's declared size is checked against them
   * (and against the file's size) before it is read. Default: a fresh budget with DEFAULT_LIMITS.
   */
  budget?: TensorBudget;
}

export interface Hdf5File {
  /** The file name given to openHdf5, for error messages. */
  readonly name?: string;
  /** Names of the attributes of the object at `path`. */
  attrNames(path: string): string[];
  hasAttr(path: string, name: string): boolean;
  /** A normalized attribute value, or undefined when the object has no such attribute. */
  attr(path: string, name: string): Hdf5AttrValue | undefined;
  /** A string attribute (undefined when absent); BAD_CONFIG-free: throws CORRUPT_FILE if not a string. */
  stringAttr(path: string, name: string): string | undefined;
  /**
   * A list attribute stored whole (`name`) or split by Keras into `name0`, `name1`, … (joined in
   * order). Undefined when neither exists. Scalars become one-element lists.
   */
  chunkedAttr(path: string, name: string): (string | number)[] | undefined;
  /** Names of the members of a group, in HDF5's (name) order. */
  keys(path: string): string[];
  exists(path: string): boolean;
  isGroup(path: string): boolean;
  isDataset(path: string): boolean;
  datasetInfo(path: string): Hdf5DatasetInfo;
  /** Reads a whole dataset as a tensor (native dtype kept; float16 as raw bits). */
  dataset(path: string): Tensor;
  /** Frees the in-memory copy. Further calls fail with USAGE. */
  close(): void;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Offset of the HDF5 signature (0, 512, 1024, … when a user block precedes it), or -1. */
export function hdf5SignatureOffset(bytes: Uint8Array): number {
  for (let offset = 0; offset + 8 <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (SIGNATURE.every((b, i) => bytes[offset + i] === b)) return offset;
    if (offset > 1 << 20) break;
  }
  return -1;
}

export function isHdf5(bytes: Uint8Array): boolean {
  return hdf5SignatureOffset(bytes) >= 0;
}

/** Joins HDF5 path parts into an absolute path: joinPath('/model_weights', 'conv1d', 'conv1d/kernel:0'). */
export function joinPath(...parts: string[]): string {
  const joined = parts
    .filter((p) => p.length > 0)
    .join('/')
    .replace(/\/+/g, '/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

/** Opens HDF5 bytes (works in Node and browsers: no file system involved). */
export async function openHdf5(bytes: Uint8Array, name?: string, options: Hdf5OpenOptions = {}): Promise<Hdf5File> {
  if (hdf5SignatureOffset(bytes) < 0) {
    throw new KconvError(
      'UNSUPPORTED_FORMAT',
      `not an HDF5 file: expected the signature 89 48 44 46 0d 0a 1a 0a, found ${hex(bytes.subarray(0, 8))}${bytes.length < 8 ? ` (only ${bytes.length} bytes)` : ''}`,
      { where: '/', file: name },
    );
  }
  checkHdf5Bytes(bytes, name);
  const rt = await h5Runtime();
  const path = scratchPath();
  rt.fs.writeFile(path, bytes);
  try {
    const fileId = withHeapCap(rt, libraryHeapCap('open the file', '/', name, bytes.length), () =>
      callHdf5(rt, 'open the file', '/', name, () => rt.module.open(path, rt.module.H5F_ACC_RDONLY, false, -1, -1), (id) => id < 0n),
    );
    return new H5File(rt, path, fileId, name, bytes.length, options.budget ?? new TensorBudget());
  } catch (e) {
    rt.fs.unlink(path);
    throw e;
  }
}

/**
 * What the HDF5 library may use of its own memory during one call, beyond the buffers kconv
 * allocates for the values it reads: its caches and conversion buffers (1 MiB chunk cache and
 * 1 MiB type-conversion buffer by default, a metadata cache of a few MiB) with a wide margin.
 */
export const HDF5_LIBRARY_WORKSPACE = 64 * 1024 ** 2;

/**
 * The memory cap of one call into the HDF5 library (see `withHeapCap`). Everything the library
 * reads comes from the file, and nothing it reads for metadata or an attribute can be larger
 * than the file (variable-length strings sit uncompressed in its global heap), so a call may
 * grow the library's memory by the file's size plus its workspace. Reading a dataset adds twice
 * the dataset's checked size: a filtered chunk is held compressed and decompressed while it is
 * copied out.
 */
function libraryHeapCap(what: string, where: string, file: string | undefined, fileBytes: number, datasetBytes = 0): HeapCap {
  const maxGrowth = HDF5_LIBRARY_WORKSPACE + fileBytes + 2 * datasetBytes;
  return {
    maxGrowth,
    refuse: (asked) =>
      new KconvError(
        'LIMIT_EXCEEDED',
        `HDF5: could not ${what}: expected the HDF5 library to need at most ${maxGrowth} more bytes of memory, found it asking for ${asked} ` +
          `(the file's ${fileBytes} bytes${datasetBytes > 0 ? `, twice the dataset's ${datasetBytes} bytes` : ''} and ${HDF5_LIBRARY_WORKSPACE} bytes of library workspace): ` +
          `a size recorded in the file (a variable-length string's length, a chunk's size) is damaged`,
        { where, file },
      ),
  };
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(nothing)';
}

function normalizePath(path: string): string {
  return joinPath(path);
}

/** h5wasm metadata (the fields we use). */
interface H5Metadata {
  type: number;
  size: number;
  signed: boolean;
  littleEndian: boolean;
  vlen: boolean;
  cset?: number;
  shape: number[] | null;
  total_size: number;
  /** Chunk dimensions of a chunked dataset; null for contiguous or compact storage. */
  chunks?: number[] | null;
  enum_type?: { members: Record<string, number>; type: number };
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_ENUM = 8;

class H5File implements Hdf5File {
  private open = true;

  constructor(
    private readonly rt: H5Runtime,
    private readonly fsPath: string,
    private readonly fileId: bigint,
    readonly name: string | undefined,
    /** Size of the whole file: no uncompressed value can be larger. */
    private readonly fileBytes: number,
    private readonly budget: TensorBudget,
  ) {}

  private get m(): H5Module {
    if (!this.open) throw new KconvError('USAGE', 'HDF5 file used after close()', { file: this.name });
    return this.rt.module;
  }

  /** One call into the library, its memory capped (`libraryHeapCap`); `datasetBytes` when it reads a dataset. */
  private call<T>(what: string, where: string, fn: () => T, failed?: (r: T) => boolean, datasetBytes = 0): T {
    return withHeapCap(this.rt, libraryHeapCap(what, where, this.name, this.fileBytes, datasetBytes), () => callHdf5(this.rt, what, where, this.name, fn, failed));
  }

  // The file is opened read-only, so group listings and object types never change while it is
  // open: remembering them turns the per-path parent probing below from quadratic into linear
  // (a .keras with a few thousand weights went from seconds to milliseconds).
  private readonly namesCache = new Map<string, string[]>();
  private readonly typeCache = new Map<string, number | undefined>();

  private names(group: string): string[] {
    let names = this.namesCache.get(group);
    if (!names) {
      names = [...(this.call('list a group', group, () => this.m.get_names(this.fileId, group, false) as string[]))];
      this.namesCache.set(group, names);
    }
    return names;
  }

  private typeOf(path: string): number | undefined {
    const p = normalizePath(path);
    if (p === '/') return this.m.H5G_GROUP;
    if (this.typeCache.has(p)) return this.typeCache.get(p);
    // Probe parents first so a missing intermediate group is "absent", not an HDF5 error.
    const parent = p.slice(0, p.lastIndexOf('/')) || '/';
    let type: number | undefined;
    if (parent === '/' || this.typeOf(parent) === this.m.H5G_GROUP) {
      const base = p.slice(p.lastIndexOf('/') + 1);
      if (new Set(this.names(parent)).has(base)) type = this.call('get an object type', p, () => this.m.get_type(this.fileId, p));
    }
    this.typeCache.set(p, type);
    return type;
  }

  exists(path: string): boolean {
    return this.typeOf(path) !== undefined;
  }

  isGroup(path: string): boolean {
    return this.typeOf(path) === this.m.H5G_GROUP;
  }

  isDataset(path: string): boolean {
    return this.typeOf(path) === this.m.H5G_DATASET;
  }

  private requireObject(path: string): string {
    const p = normalizePath(path);
    if (!this.exists(p)) throw new KconvError('CORRUPT_FILE', `expected an HDF5 object at ${p}, found none`, { where: p, file: this.name });
    return p;
  }

  keys(path: string): string[] {
    const p = normalizePath(path);
    if (!this.isGroup(p)) throw new KconvError('CORRUPT_FILE', `expected an HDF5 group at ${p}, found ${this.exists(p) ? 'a dataset' : 'nothing'}`, { where: p, file: this.name });
    return [...this.names(p)];
  }

  attrNames(path: string): string[] {
    const p = this.requireObject(path);
    return this.call('list attributes', p, () => [...(this.m.get_attribute_names(this.fileId, p) as string[])]);
  }

  hasAttr(path: string, name: string): boolean {
    return this.exists(path) && this.attrNames(path).includes(name);
  }

  attr(path: string, name: string): Hdf5AttrValue | undefined {
    const p = normalizePath(path);
    if (!this.hasAttr(p, name)) return undefined;
    const where = `${p}@${name}`;
    const meta = this.call('read attribute metadata', where, () => this.m.get_attribute_metadata(this.fileId, p, name) as unknown as H5Metadata);
    if (meta.shape === null) return []; // null dataspace: no value
    const nbytes = meta.size * meta.total_size;
    // Attributes are small metadata (not counted in the tensor budget), but their size comes from
    // the file like a dataset's: refuse one that claims far more than the file could hold.
    checkTensorBytes(nbytes, this.fileBytes, this.budget.limits, where, this.name);
    const m = this.m;
    const ptr = this.malloc(nbytes, where);
    let raw: Uint8Array;
    let strings: string[] | undefined;
    let read = false;
    try {
      this.call('read an attribute', where, () => m.get_attribute_data(this.fileId, p, name, BigInt(ptr)), (s) => s < 0);
      read = true;
      raw = m.HEAPU8.slice(ptr, ptr + nbytes);
      if (meta.type === H5T_STRING && meta.vlen) strings = readVlenStrings(m, raw);
    } finally {
      // Only a successful read filled the buffer with heap pointers; reclaiming after a failed
      // one frees garbage and traps inside the WebAssembly module.
      if (meta.vlen && read) this.call('free variable-length data', where, () => m.reclaim_vlen_memory(this.fileId, p, name, BigInt(ptr)));
      m._free(ptr);
    }
    const scalar = meta.shape.length === 0;
    if (meta.type === H5T_STRING) {
      const list = strings ?? readFixedStrings(raw, meta.size);
      return scalar ? list[0] : list;
    }
    if (meta.type === H5T_INTEGER || meta.type === H5T_FLOAT || meta.type === H5T_ENUM) {
      const base = meta.type === H5T_ENUM && meta.enum_type ? { ...meta, type: meta.enum_type.type } : meta;
      const values = Array.from(numericView(raw, base, where, this.name), Number);
      return scalar ? values[0] : values;
    }
    throw new KconvError('UNSUPPORTED_FEATURE', `attribute of HDF5 type class ${meta.type} (only strings and numbers are read)`, { where, file: this.name });
  }

  stringAttr(path: string, name: string): string | undefined {
    const v = this.attr(path, name);
    if (v === undefined || typeof v === 'string') return v;
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
    throw new KconvError('CORRUPT_FILE', `expected a string attribute, found ${JSON.stringify(v).slice(0, 80)}`, { where: `${normalizePath(path)}@${name}`, file: this.name });
  }

  chunkedAttr(path: string, name: string): (string | number)[] | undefined {
    const asList = (v: Hdf5AttrValue): (string | number)[] => (Array.isArray(v) ? v : [v]);
    const whole = this.attr(path, name);
    if (whole !== undefined) return asList(whole);
    const out: (string | number)[] = [];
    let found = false;
    for (let i = 0; ; i++) {
      const part = this.attr(path, `${name}${i}`);
      if (part === undefined) break;
      found = true;
      out.push(...asList(part));
    }
    return found ? out : undefined;
  }

  private datasetMeta(p: string): H5Metadata {
    if (!this.isDataset(p)) {
      throw new KconvError('CORRUPT_FILE', `expected an HDF5 dataset at ${p}, found ${this.exists(p) ? 'a group' : 'nothing'}`, { where: p, file: this.name });
    }
    return this.call('read dataset metadata', p, () => this.m.get_dataset_metadata(this.fileId, p) as unknown as H5Metadata);
  }

  private dtypeOf(meta: H5Metadata, p: string): DType {
    const dtypeAttr = this.hasAttr(p, 'dtype') ? this.attr(p, 'dtype') : undefined;
    const dt = mapDtype(meta, dtypeAttr);
    if (!dt) {
      throw new KconvError('UNSUPPORTED_FEATURE', `dataset of HDF5 type ${describeType(meta)} (kconv reads float16/32/64, int8/16/32/64, uint8, bool)`, { where: p, file: this.name });
    }
    return dt;
  }

  datasetInfo(path: string): Hdf5DatasetInfo {
    const p = normalizePath(path);
    const meta = this.datasetMeta(p);
    return { shape: (meta.shape ?? []).map(Number), dtype: this.dtypeOf(meta, p) };
  }

  dataset(path: string): Tensor {
    const p = normalizePath(path);
    const meta = this.datasetMeta(p);
    const dtype = this.dtypeOf(meta, p);
    const shape = (meta.shape ?? []).map(Number);
    const count = numElements(shape);
    if (meta.total_size !== count) throw new KconvError('CORRUPT_FILE', `dataset holds ${meta.total_size} elements but its shape [${shape}] needs ${count}`, { where: p, file: this.name });
    const nbytes = meta.size * count;
    this.checkDatasetBytes(p, meta, shape, nbytes);
    if (count === 0) return tensor(dtype, shape, viewAs(dtype, new Uint8Array(0)));
    const m = this.m;
    const ptr = this.malloc(nbytes, p);
    let raw: Uint8Array;
    try {
      this.call('read a dataset', p, () => m.get_dataset_data(this.fileId, p, null, null, null, BigInt(ptr)), (s) => s < 0, nbytes);
      raw = m.HEAPU8.slice(ptr, ptr + nbytes);
    } finally {
      m._free(ptr);
    }
    if (!meta.littleEndian && meta.size > 1) swapBytes(raw, meta.size);
    return tensor(dtype, shape, viewAs(dtype, raw));
  }

  /**
   * Checks a dataset's declared size (from its dataspace and datatype, the metadata) before any
   * byte of it is allocated. Stored as is (contiguous or compact, no filter), its bytes are in the
   * file, so it cannot be larger than the file; chunked or filtered (gzip...), the file holds
   * less, and the decompression-ratio cap bounds what it may claim. Then the load's budget.
   */
  private checkDatasetBytes(p: string, meta: H5Metadata, shape: number[], nbytes: number): void {
    const chunked = Array.isArray(meta.chunks) && meta.chunks.length > 0;
    const filtered = chunked && this.call('list dataset filters', p, () => this.m.get_dataset_filters(this.fileId, p)).length > 0;
    if (!chunked && !filtered && nbytes > this.fileBytes && nbytes <= this.budget.limits.maxTensorBytes) {
      throw new KconvError(
        'LIMIT_EXCEEDED',
        `dataset declares ${nbytes} bytes (shape [${shape.join(', ')}] of ${meta.size}-byte elements), stored uncompressed in a file of only ${this.fileBytes} bytes: its dataspace is damaged`,
        { where: p, file: this.name },
      );
    }
    this.budget.check(nbytes, this.fileBytes, p, this.name);
  }

  private malloc(nbytes: number, where: string): number {
    const ptr = this.m._malloc(Math.max(nbytes, 1));
    if (!ptr) throw new KconvError('LIMIT_EXCEEDED', `could not allocate ${nbytes} bytes in the HDF5 module`, { where, file: this.name });
    return ptr;
  }

  close(): void {
    if (!this.open) return;
    try {
      callHdf5(this.rt, 'close the file', '/', this.name, () => this.rt.module.close_file(this.fileId));
    } finally {
      this.open = false;
      this.rt.fs.unlink(this.fsPath);
    }
  }
}

/** Decodes NUL-padded fixed-length strings as UTF-8. */
function readFixedStrings(raw: Uint8Array, size: number): string[] {
  const decoder = new TextDecoder('utf-8');
  const out: string[] = [];
  for (let off = 0; off + size <= raw.length; off += size) {
    let end = off;
    while (end < off + size && raw[end] !== 0) end++;
    out.push(decoder.decode(raw.subarray(off, end)));
  }
  return out;
}

/** Decodes variable-length strings (an array of C string pointers into the module heap) as UTF-8. */
function readVlenStrings(m: H5Module, raw: Uint8Array): string[] {
  const decoder = new TextDecoder('utf-8');
  const ptrs = new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const heap = m.HEAPU8;
  return Array.from(ptrs, (ptr) => {
    if (ptr === 0) return '';
    let end = ptr;
    while (heap[end] !== 0) end++;
    return decoder.decode(heap.subarray(ptr, end));
  });
}

function numericView(raw: Uint8Array, meta: H5Metadata, where: string, file?: string): TypedArray | Float64Array | Uint32Array | BigUint64Array {
  const copy = raw.slice();
  if (!meta.littleEndian && meta.size > 1) swapBytes(copy, meta.size);
  const b = copy.buffer;
  if (meta.type === H5T_FLOAT) {
    if (meta.size === 4) return new Float32Array(b);
    if (meta.size === 8) return new Float64Array(b);
  } else {
    switch (meta.size) {
      case 1:
        return meta.signed ? new Int8Array(b) : new Uint8Array(b);
      case 2:
        return meta.signed ? new Int16Array(b) : new Uint16Array(b);
      case 4:
        return meta.signed ? new Int32Array(b) : new Uint32Array(b);
      case 8:
        return meta.signed ? new BigInt64Array(b) : new BigUint64Array(b);
    }
  }
  throw new KconvError('UNSUPPORTED_FEATURE', `numeric attribute of type ${describeType(meta)}`, { where, file });
}

function mapDtype(meta: H5Metadata, dtypeAttr: Hdf5AttrValue | undefined): DType | undefined {
  if (meta.type === H5T_FLOAT) return ({ 2: 'float16', 4: 'float32', 8: 'float64' } as Record<number, DType>)[meta.size];
  if (meta.type === H5T_ENUM && meta.enum_type && meta.size === 1) {
    // h5py stores numpy bool as an int8 enum {FALSE: 0, TRUE: 1}.
    const names = Object.keys(meta.enum_type.members).sort().join(',');
    return names === 'FALSE,TRUE' ? 'bool' : undefined;
  }
  if (meta.type !== H5T_INTEGER) return undefined;
  if (meta.signed) return ({ 1: 'int8', 2: 'int16', 4: 'int32', 8: 'int64' } as Record<number, DType>)[meta.size];
  if (meta.size === 1) return 'uint8';
  // Keras 3 stores bfloat16 variables as 16-bit patterns tagged with a `dtype` attribute.
  if (meta.size === 2 && dtypeAttr === 'bfloat16') return 'bfloat16';
  return undefined;
}

function describeType(meta: H5Metadata): string {
  const cls = { [H5T_INTEGER]: meta.signed ? 'int' : 'uint', [H5T_FLOAT]: 'float', [H5T_STRING]: 'string', [H5T_ENUM]: 'enum' }[meta.type] ?? `class ${meta.type}`;
  return `${cls}${meta.size * 8}${meta.littleEndian ? '' : ' big-endian'}`;
}

function swapBytes(raw: Uint8Array, size: number): void {
  for (let off = 0; off + size <= raw.length; off += size) raw.subarray(off, off + size).reverse();
}

function viewAs(dtype: DType, raw: Uint8Array): TypedArray {
  const b = raw.buffer.byteLength === raw.byteLength && raw.byteOffset === 0 ? raw.buffer : raw.slice().buffer;
  return typedView(dtype, b, 0, raw.byteLength / DTYPE_SIZE[dtype]);
}
