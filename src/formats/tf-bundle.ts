/**
 * TensorFlow tensor bundles: the checkpoint format of `tf.train.Saver` (V2, TF >= 0.12),
 * `tf.train.Checkpoint` and SavedModel `variables/`. Bytes only: the caller hands us the `.index`
 * file and the `.data-NNNNN-of-NNNNN` shards.
 *
 * The `.index` is an SSTable (./sstable.ts) whose key "" holds a BundleHeaderProto and whose every
 * other key is a tensor name → BundleEntryProto {dtype, shape, shard_id, offset, size, masked
 * crc32c, slices}. Tensor bytes are `[offset, offset + size)` of the shard, row-major, in the byte
 * order the header declares; the CRC covers the bytes as stored. Partitioned variables have an
 * entry with the full shape and a list of slices (no data), each slice stored under an
 * OrderedCode-encoded key that starts with a 0x00 byte.
 *
 * The older V1 format (TF <= 0.11) is read by ./tf-checkpoint-v1.ts into the same Bundle shape.
 */
import { KconvError } from '../errors.js';
import { allocate, DTYPE_SIZE, numElements, type Tensor, type TypedArray } from '../tensor.js';
import { TensorBudget } from '../limits.js';
import { crc32cExtend, unmaskCrc } from './crc32c.js';
import { readTable, type TableOptions } from './sstable.js';
import { decodeProto, int64 } from './tf-protos.js';
import { DT_STRING, DT_VARIANT, tfDtype } from './tf-dtypes.js';

/** One dimension of a slice: `length` null = the whole dimension. */
export interface SliceExtent {
  start: number;
  length: number | null;
}

export interface BundleEntry {
  /** The tensor's name (the checkpoint key). */
  name: string;
  /** TF's DataType enum value. */
  tfDtype: number;
  /** TF's dtype name, e.g. 'float', 'int64', 'string'. */
  dtype: string;
  shape: number[];
  /** Which data file holds it (V2) / which shard file (V1). */
  shardId: number;
  offset: number;
  size: number;
  /** The masked CRC32C stored in the index (V2 only). */
  crc32c?: number;
  /** For partitioned variables: the slices that together make the tensor. */
  slices?: SliceExtent[][];
}

export interface BundleHeader {
  format: 'v2' | 'v1';
  numShards: number;
  endianness: 'little' | 'big';
  version: { producer: number; minConsumer: number; badConsumers: number[] };
}

export interface TensorCheck {
  name: string;
  ok: boolean;
  error?: KconvError;
}

export interface Bundle {
  header: BundleHeader;
  /** Every tensor by name, in key order. Slice keys of partitioned variables are not listed. */
  entries: Map<string, BundleEntry>;
  /** A numeric tensor's values, checksum verified (CHECKSUM_MISMATCH naming the tensor otherwise). */
  tensor(name: string): Tensor;
  /** A DT_STRING tensor's elements in row-major order, both checksums verified. */
  strings(name: string): Uint8Array[];
  /** Reads every tensor and verifies every checksum; throws the first failure. */
  verifyAll(): void;
}

export interface BundleFiles {
  index: Uint8Array;
  /** `.data-00000-of-0000N` ... in shard order. A shard that no entry refers to may be missing. */
  shards: (Uint8Array | undefined)[];
  /** The checkpoint prefix or index file name, for error messages. */
  name?: string;
}

export interface BundleOptions {
  /**
   * The load's limits and running total (src/limits.ts): entries beyond `maxTensorBytes` are
   * refused at open, and every tensor is checked against the budget before it is allocated.
   * Default: a fresh budget with DEFAULT_LIMITS.
   */
  budget?: TensorBudget;
}

interface RawHeader {
  num_shards: number;
  endianness: number;
  version?: { producer: number; min_consumer: number; bad_consumers: number[] } | null;
}

interface RawShape {
  dim: { size: string }[];
  unknown_rank: boolean;
}

interface RawSlice {
  extent: { start: string; length?: string; has_length?: string }[];
}

interface RawEntry {
  dtype: number;
  shape?: RawShape | null;
  shard_id: number;
  offset: string;
  size: string;
  crc32c: number;
  slices: RawSlice[];
}

const decoder = new TextDecoder();
/** The header's key. */
const HEADER_KEY = '';

export function shapeOf(shape: RawShape | null | undefined, where: string): number[] {
  if (!shape) return [];
  if (shape.unknown_rank) throw new KconvError('CORRUPT_FILE', 'a stored tensor has an unknown rank', { where });
  return shape.dim.map((d) => {
    const n = int64(d.size, 'a dimension', where);
    if (n < 0) throw new KconvError('CORRUPT_FILE', `a stored tensor has dimension ${n}`, { where });
    return n;
  });
}

export function sliceOf(slice: RawSlice, rank: number, where: string): SliceExtent[] {
  if (slice.extent.length !== rank && slice.extent.length !== 0) {
    throw new KconvError('CORRUPT_FILE', `a slice has ${slice.extent.length} extents for a tensor of rank ${rank}`, { where });
  }
  const extents: SliceExtent[] = [];
  for (let i = 0; i < rank; i++) {
    const e = slice.extent[i];
    if (!e || e.has_length !== 'length') extents.push({ start: 0, length: null });
    else extents.push({ start: int64(e.start, 'slice start', where), length: int64(e.length, 'slice length', where) });
  }
  return extents;
}

/**
 * True when the first real entry of a table is a V1 `SavedTensorSlices` rather than a V2 header:
 * both are field 1, but V2's is a varint (tag byte 0x08) and V1's a message (tag byte 0x0a).
 */
export function isV1Value(headerValue: Uint8Array): boolean {
  return headerValue.length > 0 && headerValue[0] === 0x0a;
}

export function readBundle(files: BundleFiles, options: BundleOptions = {}): Bundle {
  const file = files.name ? `${files.name}.index`.replace(/\.index\.index$/, '.index') : undefined;
  const budget = options.budget ?? new TensorBudget();
  const tableOptions: TableOptions = { file };
  const table = readTable(files.index, tableOptions);
  const first = table[0];
  if (!first || first.key.length !== 0) {
    throw new KconvError('CORRUPT_FILE', 'a checkpoint index must start with the header entry (empty key); this table has none', { file, where: '""' });
  }
  if (isV1Value(first.value)) {
    throw new KconvError(
      'UNSUPPORTED_FORMAT',
      'this is a V1 checkpoint file (TF <= 0.11, no .index/.data split), not a V2 .index: read it with readV1Checkpoint',
      { file, where: '""' },
    );
  }
  const raw = decodeProto<RawHeader>('tensorflow.BundleHeaderProto', first.value, 'header ("" key)', file);
  const version = raw.version ?? { producer: 0, min_consumer: 0, bad_consumers: [] };
  if (version.min_consumer > 1 || version.bad_consumers.includes(1)) {
    throw new KconvError(
      'UNSUPPORTED_FORMAT',
      `bundle version: min_consumer ${version.min_consumer}, bad_consumers [${version.bad_consumers.join(', ')}]; kconv reads bundle format version 1`,
      { file, where: 'header' },
    );
  }
  if (raw.num_shards < 1) throw new KconvError('CORRUPT_FILE', `the header declares ${raw.num_shards} data shards`, { file, where: 'header' });
  const header: BundleHeader = {
    format: 'v2',
    numShards: raw.num_shards,
    endianness: raw.endianness === 1 ? 'big' : 'little',
    version: { producer: version.producer, minConsumer: version.min_consumer, badConsumers: version.bad_consumers },
  };

  const entries = new Map<string, BundleEntry>();
  /** Slice keys (first byte 0x00) by their raw key, so a partitioned tensor can find its parts. */
  const sliceEntries = new Map<string, BundleEntry>();
  for (const { key, value } of table.slice(1)) {
    const isSliceKey = key[0] === 0x00;
    const name = isSliceKey ? hexKey(key) : decoder.decode(key);
    const where = isSliceKey ? `slice key ${name}` : name;
    const e = decodeProto<RawEntry>('tensorflow.BundleEntryProto', value, where, file);
    const shape = shapeOf(e.shape, where);
    const entry: BundleEntry = {
      name,
      tfDtype: e.dtype,
      dtype: tfDtype(e.dtype).name,
      shape,
      shardId: e.shard_id,
      offset: int64(e.offset, 'offset', where),
      size: int64(e.size, 'size', where),
      crc32c: e.crc32c >>> 0,
    };
    if (e.slices.length > 0) entry.slices = e.slices.map((s) => sliceOf(s, shape.length, where));
    else checkEntry(entry, header, files, file, budget);
    (isSliceKey ? sliceEntries : entries).set(name, entry);
  }

  const bundle: Bundle = {
    header,
    entries,
    tensor(name) {
      const entry = lookup(entries, name, file);
      if (!entry.slices) {
        // checkEntry made the entry's size equal to its shape's bytes and kept it inside its shard.
        budget.check(tensorBytes(entry, file), entry.size, name, file);
        return readNumeric(entry, header, files, file);
      }
      const parts = entry.slices.map((slice) => {
        const part = sliceEntries.get(hexKey(encodeTensorNameSlice(entry.name, entry.shape, slice)));
        if (!part) {
          throw new KconvError('CORRUPT_FILE', `partitioned tensor ${name}: the data of slice ${formatSlice(slice)} is not in the index`, { file, where: name });
        }
        return { slice, part };
      });
      // The whole tensor is allocated from the shape of the partitioned entry; its slices' stored
      // bytes are what can fill it.
      budget.check(
        tensorBytes(entry, file),
        parts.reduce((sum, { part }) => sum + part.size, 0),
        name,
        file,
      );
      const full = newTensorFor(entry, file);
      for (const { slice, part } of parts) {
        const data = readNumeric({ ...part, name: `${name}[${formatSlice(slice)}]` }, header, files, file);
        copySlice(full, data, slice);
      }
      return full;
    },
    strings(name) {
      const entry = lookup(entries, name, file);
      if (entry.tfDtype !== DT_STRING) {
        throw new KconvError('BAD_WEIGHTS', `${name} is a ${entry.dtype} tensor, not a string tensor`, { file, where: name });
      }
      if (entry.slices) throw new KconvError('UNSUPPORTED_FEATURE', `partitioned string tensors are not supported`, { file, where: name });
      return readStrings(entry, header, files, file);
    },
    verifyAll() {
      for (const entry of entries.values()) {
        if (entry.tfDtype === DT_STRING) bundle.strings(entry.name);
        else if (entry.tfDtype === DT_VARIANT) verifyVariant(entry, header, files, file);
        else if (!tfDtype(entry.tfDtype).ir) verifyRaw(entry, files, file);
        else bundle.tensor(entry.name);
      }
    },
  };
  return bundle;
}

function hexKey(key: Uint8Array): string {
  return Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
}

function formatSlice(slice: SliceExtent[]): string {
  return slice.map((e) => (e.length === null ? '-' : `${e.start},${e.length}`)).join(':');
}

function lookup(entries: Map<string, BundleEntry>, name: string, file?: string): BundleEntry {
  const entry = entries.get(name);
  if (!entry) {
    const names = [...entries.keys()].slice(0, 20);
    throw new KconvError('BAD_WEIGHTS', `no tensor named ${JSON.stringify(name)} in the checkpoint; it has ${names.map((n) => JSON.stringify(n)).join(', ')}${entries.size > 20 ? ', ...' : ''}`, {
      file,
      where: name,
    });
  }
  return entry;
}

function shardName(file: string | undefined, shard: number, numShards: number): string {
  const prefix = file ? file.replace(/\.index$/, '') : '<prefix>';
  return `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
}

/** Bounds and size checks done once at open, so that listing a bundle already validates it. */
function checkEntry(entry: BundleEntry, header: BundleHeader, files: BundleFiles, file: string | undefined, budget: TensorBudget): void {
  const where = entry.name;
  if (entry.shardId < 0 || entry.shardId >= header.numShards) {
    throw new KconvError('CORRUPT_FILE', `tensor ${entry.name} is in shard ${entry.shardId}, but the bundle has ${header.numShards} shards`, { file, where });
  }
  const info = tfDtype(entry.tfDtype);
  const expected = numElements(entry.shape) * info.size;
  // A size (or a shape) beyond the per-tensor cap is refused as such, before comparing the two.
  const max = budget.limits.maxTensorBytes;
  for (const [what, bytes] of [
    ['stored', entry.size],
    ['its shape needs', expected],
  ] as const) {
    if (!Number.isSafeInteger(bytes) || bytes > max) {
      throw new KconvError('LIMIT_EXCEEDED', `tensor ${entry.name}: ${what} ${bytes} bytes, more than the limit of ${max} bytes (limits.maxTensorBytes)`, { file, where });
    }
  }
  if (info.size > 0) {
    if (entry.size !== expected) {
      throw new KconvError(
        'CORRUPT_FILE',
        `tensor ${entry.name}: a ${entry.dtype} tensor of shape [${entry.shape.join(', ')}] takes ${expected} bytes, the index says ${entry.size}`,
        { file, where },
      );
    }
  }
  const shard = files.shards[entry.shardId];
  if (shard && entry.offset + entry.size > shard.length) {
    throw new KconvError(
      'CORRUPT_FILE',
      `tensor ${entry.name}: bytes ${entry.offset}..${entry.offset + entry.size} are past the end of ${shardName(file, entry.shardId, header.numShards)} (${shard.length} bytes; truncated?)`,
      { file, where },
    );
  }
}

/** The stored bytes of an entry, with its CRC checked. */
function storedBytes(entry: BundleEntry, files: BundleFiles, file: string | undefined, numShards: number): Uint8Array {
  const shard = files.shards[entry.shardId];
  if (!shard) {
    throw new KconvError('IO_ERROR', `tensor ${entry.name} is in ${shardName(file, entry.shardId, numShards)}, which was not provided`, { file, where: entry.name });
  }
  if (entry.offset + entry.size > shard.length) {
    throw new KconvError('CORRUPT_FILE', `tensor ${entry.name} runs past the end of its data file (truncated?)`, { file, where: entry.name });
  }
  return shard.subarray(entry.offset, entry.offset + entry.size);
}

function checkCrc(entry: BundleEntry, actual: number, file: string | undefined): void {
  if (entry.crc32c === undefined) return;
  const expected = unmaskCrc(entry.crc32c);
  if (expected !== actual) {
    throw new KconvError(
      'CHECKSUM_MISMATCH',
      `tensor ${entry.name}: its ${entry.size} stored bytes hash to CRC32C ${actual.toString(16).padStart(8, '0')}, the index says ${expected.toString(16).padStart(8, '0')} (the data file was corrupted after it was written)`,
      { file, where: entry.name },
    );
  }
}

function verifyRaw(entry: BundleEntry, files: BundleFiles, file: string | undefined): void {
  if (entry.slices) return; // its parts are listed under slice keys and checked through tensor()
  const bytes = storedBytes(entry, files, file, files.shards.length);
  checkCrc(entry, crc32cExtend(0, bytes), file);
}

/**
 * DT_VARIANT layout, per element: varint64 length, the serialized VariantTensorDataProto, then a
 * fixed32 masked running CRC. The running CRC covers each length as a uint64 (file byte order),
 * the element bytes and each previous stored checksum; the entry CRC is its final value. We only
 * verify it: kconv has no use for variant values (iterator states, ...).
 */
function verifyVariant(entry: BundleEntry, header: BundleHeader, files: BundleFiles, file: string | undefined): void {
  const bytes = storedBytes(entry, files, file, header.numShards);
  const little = header.endianness === 'little';
  const fail = (what: string) => new KconvError('CORRUPT_FILE', `variant tensor ${entry.name}: ${what}`, { file, where: entry.name });
  const scratch = new DataView(new ArrayBuffer(8));
  let crc = 0;
  let pos = 0;
  for (let i = 0, n = numElements(entry.shape); i < n; i++) {
    let len = 0;
    for (let k = 0; ; k++) {
      if (k >= 10 || pos >= bytes.length) throw fail('an element length is cut short');
      const b = bytes[pos++];
      len += (b & 0x7f) * 2 ** (7 * k);
      if ((b & 0x80) === 0) break;
    }
    if (pos + len + 4 > bytes.length) throw fail(`element ${i} runs past the stored bytes`);
    scratch.setBigUint64(0, BigInt(len), little);
    crc = crc32cExtend(crc, new Uint8Array(scratch.buffer));
    crc = crc32cExtend(crc, bytes.subarray(pos, pos + len));
    pos += len;
    const stored = new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0, little);
    if (unmaskCrc(stored) !== crc) {
      throw new KconvError('CHECKSUM_MISMATCH', `variant tensor ${entry.name}: element ${i} does not match its stored checksum`, { file, where: entry.name });
    }
    crc = crc32cExtend(crc, bytes.subarray(pos, pos + 4));
    pos += 4;
  }
  if (pos !== bytes.length) throw fail(`${bytes.length - pos} bytes follow the last element`);
  checkCrc(entry, crc, file);
}

/** The bytes a numeric tensor of the entry's shape takes in memory (what newTensorFor allocates). */
function tensorBytes(entry: BundleEntry, file?: string): number {
  const info = tfDtype(entry.tfDtype);
  if (!info.ir) {
    throw new KconvError('UNSUPPORTED_FEATURE', `tensor ${entry.name} has dtype ${info.name}, which kconv does not hold as numbers`, { file, where: entry.name });
  }
  return numElements(entry.shape) * DTYPE_SIZE[info.ir];
}

function newTensorFor(entry: BundleEntry, file?: string): Tensor {
  const info = tfDtype(entry.tfDtype);
  if (!info.ir) {
    throw new KconvError('UNSUPPORTED_FEATURE', `tensor ${entry.name} has dtype ${info.name}, which kconv does not hold as numbers`, { file, where: entry.name });
  }
  const n = numElements(entry.shape);
  return { dtype: info.ir, shape: [...entry.shape], data: allocate(info.ir, n) };
}

function readNumeric(entry: BundleEntry, header: BundleHeader, files: BundleFiles, file: string | undefined): Tensor {
  const t = newTensorFor(entry, file);
  const info = tfDtype(entry.tfDtype);
  const bytes = storedBytes(entry, files, file, header.numShards);
  checkCrc(entry, crc32cExtend(0, bytes), file);
  if (bytes.length !== t.data.byteLength) {
    throw new KconvError('CORRUPT_FILE', `tensor ${entry.name}: ${bytes.length} bytes stored, ${t.data.byteLength} expected`, { file, where: entry.name });
  }
  // Copy (the shard offset need not be aligned for a typed-array view), swapping if big-endian.
  const target = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  target.set(bytes);
  if (header.endianness === 'big' && info.size > 1) swapBytes(target, info.size);
  return t;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const x = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = x;
    }
  }
}

/**
 * DT_STRING layout: varint64 length of each element, fixed32 masked CRC32C of the lengths (each
 * hashed as a uint32, or a uint64 when it does not fit, in the file's byte order), then the bytes.
 * The entry CRC covers the hashed lengths, the 4 stored length-CRC bytes and the string bytes.
 */
function readStrings(entry: BundleEntry, header: BundleHeader, files: BundleFiles, file: string | undefined): Uint8Array[] {
  const bytes = storedBytes(entry, files, file, header.numShards);
  const little = header.endianness === 'little';
  const n = numElements(entry.shape);
  const fail = (what: string) => new KconvError('CORRUPT_FILE', `string tensor ${entry.name}: ${what}`, { file, where: entry.name });
  if (n > bytes.length) throw fail(`${n} elements cannot fit in ${bytes.length} bytes`);
  const lengths: number[] = [];
  let pos = 0;
  let lengthCrc = 0;
  const scratch = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < n; i++) {
    let len = 0;
    for (let k = 0; ; k++) {
      if (k >= 10 || pos >= bytes.length) throw fail('an element length is cut short');
      const b = bytes[pos++];
      len += (b & 0x7f) * 2 ** (7 * k);
      if ((b & 0x80) === 0) break;
    }
    if (!Number.isSafeInteger(len)) throw fail('an element length is beyond 2^53');
    lengths.push(len);
    if (len <= 0xffffffff) {
      scratch.setUint32(0, len, little);
      lengthCrc = crc32cExtend(lengthCrc, new Uint8Array(scratch.buffer, 0, 4));
    } else {
      scratch.setBigUint64(0, BigInt(len), little);
      lengthCrc = crc32cExtend(lengthCrc, new Uint8Array(scratch.buffer, 0, 8));
    }
  }
  if (pos + 4 > bytes.length) throw fail('the length checksum is missing');
  const storedLengthCrc = new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0, little);
  const entryCrcSoFar = crc32cExtend(lengthCrc, bytes.subarray(pos, pos + 4));
  pos += 4;
  if (unmaskCrc(storedLengthCrc) !== lengthCrc) {
    throw new KconvError('CHECKSUM_MISMATCH', `string tensor ${entry.name}: the element lengths do not match their stored checksum`, { file, where: entry.name });
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  if (pos + total !== bytes.length) throw fail(`the lengths add up to ${total} bytes, ${bytes.length - pos} are stored`);
  checkCrc(entry, crc32cExtend(entryCrcSoFar, bytes.subarray(pos)), file);
  const out: Uint8Array[] = [];
  for (const len of lengths) {
    out.push(bytes.slice(pos, pos + len));
    pos += len;
  }
  return out;
}

/** Copies a slice's values into the full tensor at the slice's offsets (row-major, any rank). */
export function copySlice(full: Tensor, part: Tensor, slice: SliceExtent[]): void {
  const rank = full.shape.length;
  const starts = slice.map((e) => e.start);
  const lens = slice.map((e, i) => (e.length === null ? full.shape[i] : e.length));
  for (let i = 0; i < rank; i++) {
    if (starts[i] + lens[i] > full.shape[i] || part.shape[i] !== lens[i]) {
      throw new KconvError('CORRUPT_FILE', `a slice ${JSON.stringify(slice)} does not fit a tensor of shape [${full.shape.join(', ')}]`);
    }
  }
  const dst = full.data as TypedArray & { set(a: ArrayLike<number | bigint>, o: number): void };
  const src = part.data;
  const fullStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) fullStrides[i] = fullStrides[i + 1] * full.shape[i + 1];
  const rowLen = rank === 0 ? 1 : lens[rank - 1];
  const rows = rowLen === 0 ? 0 : src.length / rowLen;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = rank === 0 ? 0 : starts[rank - 1];
    for (let i = 0; i < rank - 1; i++) offset += (starts[i] + index[i]) * fullStrides[i];
    dst.set(src.subarray(r * rowLen, (r + 1) * rowLen) as never, offset);
    for (let i = rank - 2; i >= 0; i--) {
      if (++index[i] < lens[i]) break;
      index[i] = 0;
    }
  }
}

// --- OrderedCode, as TF's EncodeTensorNameSlice uses it to name the parts of a sliced tensor ---

function pushNumIncreasing(out: number[], value: number): void {
  const bytes: number[] = [];
  let v = BigInt(value);
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  out.push(bytes.length, ...bytes);
}

function pushSignedNumIncreasing(out: number[], value: number): void {
  const v = BigInt(value);
  const x = v < 0n ? ~v : v;
  if (x < 64n) {
    out.push(0x80 ^ (Number(v) & 0xff));
    return;
  }
  const bits = x.toString(2).length;
  const len = Math.floor(bits / 7) + 1;
  // v as 10 big-endian bytes, sign-extended; keep the last `len`, then xor the length header bits.
  const buf: number[] = [];
  let t = BigInt.asUintN(80, v);
  for (let i = 0; i < 10; i++) {
    buf.unshift(Number(t & 0xffn));
    t >>= 8n;
  }
  const bytes = buf.slice(10 - len);
  const header = len <= 8 ? [(0xff00 >> len) & 0xff, 0] : [0xff, (0xff00 >> (len - 8)) & 0xff];
  bytes[0] ^= header[0];
  bytes[1] ^= header[1];
  out.push(...bytes);
}

/** The index key of one slice of a partitioned tensor (TF's EncodeTensorNameSlice). */
export function encodeTensorNameSlice(name: string, fullShape: number[], slice: SliceExtent[]): Uint8Array {
  const out: number[] = [];
  pushNumIncreasing(out, 0);
  for (const b of new TextEncoder().encode(name)) {
    if (b === 0x00) out.push(0x00, 0xff);
    else if (b === 0xff) out.push(0xff, 0x00);
    else out.push(b);
  }
  out.push(0x00, 0x01);
  pushNumIncreasing(out, fullShape.length);
  for (const e of slice) {
    pushSignedNumIncreasing(out, e.length === null ? 0 : e.start);
    pushSignedNumIncreasing(out, e.length === null ? -1 : e.length);
  }
  return Uint8Array.from(out);
}
