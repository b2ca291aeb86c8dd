/**
 * Reading zip archives (`.keras`, `.npz`) in memory, with fflate doing the DEFLATE work.
 *
 * Why not fflate's `unzipSync`: it trusts the sizes an archive declares (it allocates the declared
 * uncompressed size up front, silently truncates an entry that inflates to more, checks no CRC and
 * lets a later duplicate name replace an earlier one). A model file comes from anywhere, so this
 * module parses the directory itself and bounds every step:
 *
 * - the number of entries, each entry's declared size (absolute cap and ratio to its compressed
 *   size) and the total inflated across all reads are limited (`ZipLimits`, LIMIT_EXCEEDED);
 * - inflation is streamed and stops as soon as an entry produces more bytes than it declared;
 * - the CRC-32 of every extracted entry is checked (CHECKSUM_MISMATCH);
 * - entry data must lie inside the archive, and entries must not overlap (the "overlapping
 *   files" zip bomb); duplicate names and names that climb out of the archive (`../`, absolute
 *   paths) make the archive ambiguous and are refused (CORRUPT_FILE);
 * - nothing is ever written to disk: entries are read into Uint8Arrays on demand.
 *
 * Zip facts used (PKWARE APPNOTE 6.3): the end-of-central-directory record (EOCD, `PK\5\6`) sits
 * in the last 22 + 65535 bytes; it points at the central directory (`PK\1\2` records), whose
 * entries point at local headers (`PK\3\4`) followed by the data. ZIP64 moves counts, sizes and
 * offsets into a ZIP64 EOCD record and per-entry extra field 0x0001 when they overflow 32 bits.
 */
import { Inflate } from 'fflate';
import { KconvError } from '../errors.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';

export interface ZipLimits {
  /** Most entries an archive may list. */
  maxEntries: number;
  /** Largest uncompressed size one entry may declare, in bytes. */
  maxEntryBytes: number;
  /** Most bytes all reads from one archive may produce together. */
  maxTotalBytes: number;
  /** Largest uncompressed:compressed ratio a DEFLATE entry may declare (DEFLATE itself tops out near 1032:1). */
  maxRatio: number;
}

/** Most entries an archive may list (no Keras save has more than a handful). */
const MAX_ENTRIES = 10_000;
/** Largest single entry, whatever the total allows: one Uint8Array of it must be allocatable. */
const MAX_ENTRY_BYTES = 2 * 1024 ** 3;

/**
 * The zip reader's caps for a load's limits: the total extracted and each entry within
 * `maxTotalBytes`, the declared ratio within `maxDecompressionRatio`.
 */
export function zipLimitsFrom(limits: Limits): ZipLimits {
  return {
    maxEntries: MAX_ENTRIES,
    maxEntryBytes: Math.min(MAX_ENTRY_BYTES, limits.maxTotalBytes),
    maxTotalBytes: limits.maxTotalBytes,
    maxRatio: limits.maxDecompressionRatio,
  };
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = zipLimitsFrom(DEFAULT_LIMITS);

/** Entries at most this large are never judged by their ratio (a tiny file of zeros is not a bomb). */
const RATIO_EXEMPT_BYTES = 64 * 1024;
/** Compressed bytes pushed to the inflater per step: bounds the output produced before a size check. */
const INFLATE_CHUNK = 16 * 1024;

export type ZipMethod = 'stored' | 'deflate';

export interface ZipEntry {
  name: string;
  method: ZipMethod;
  compressedSize: number;
  /** Uncompressed size as the central directory declares it (checked against reality on read). */
  size: number;
  crc32: number;
  isDirectory: boolean;
  /** Offset of the entry's local header in the archive. */
  localHeaderOffset: number;
}

export interface ZipArchive {
  /** Entries in central-directory order, directories included. */
  readonly entries: readonly ZipEntry[];
  /** The entry with exactly this name, or undefined. */
  entry(name: string): ZipEntry | undefined;
  /** Extracts an entry (by name or entry), inflating and checking size and CRC. */
  read(entryOrName: ZipEntry | string): Uint8Array;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

export function isZip(bytes: Uint8Array): boolean {
  // A local header first (any archive with entries), or a bare EOCD (an empty archive).
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * Parses the archive's directory (no entry is inflated yet). Throws CORRUPT_FILE for a damaged or
 * truncated archive, LIMIT_EXCEEDED for one beyond `limits`, UNSUPPORTED_FEATURE for encryption or
 * compression methods other than STORED and DEFLATE.
 */
export function openZip(bytes: Uint8Array, options: { limits?: Partial<ZipLimits>; file?: string } = {}): ZipArchive {
  const limits: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...options.limits };
  const file = options.file;
  const corrupt = (message: string, where?: string) => new KconvError('CORRUPT_FILE', message, { file, where });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number, what: string) => {
    const value = view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} is ${value}, beyond any real archive`);
    return Number(value);
  };

  const eocd = findEocd(bytes, view);
  if (eocd < 0) {
    throw corrupt(
      `expected a zip end-of-central-directory record in the last ${EOCD_SIZE + MAX_COMMENT} bytes, found none: ` +
        `the archive is truncated or is not a zip (${bytes.length} bytes)`,
    );
  }
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) {
    throw new KconvError('UNSUPPORTED_FEATURE', 'multi-disk (split) zip archives are not supported', { file });
  }
  let count = u16(eocd + 10);
  let dirSize = u32(eocd + 12);
  let dirOffset = u32(eocd + 16);
  // ZIP64: the 32-bit fields are saturated and the real values live in the ZIP64 EOCD record.
  if (eocd >= 20 && u32(eocd - 20) === SIG_EOCD64_LOCATOR) {
    const at = u64(eocd - 20 + 8, 'ZIP64 end-of-central-directory offset');
    if (at + 56 > bytes.length || u32(at) !== SIG_EOCD64) throw corrupt('the ZIP64 end-of-central-directory record is missing or damaged');
    count = u64(at + 32, 'ZIP64 entry count');
    dirSize = u64(at + 40, 'ZIP64 central directory size');
    dirOffset = u64(at + 48, 'ZIP64 central directory offset');
  }
  if (count > limits.maxEntries) {
    throw new KconvError('LIMIT_EXCEEDED', `the archive lists ${count} entries; the limit is ${limits.maxEntries}`, { file });
  }
  if (dirOffset + dirSize > bytes.length) {
    throw corrupt(`the central directory (offset ${dirOffset}, ${dirSize} bytes) lies beyond the end of the archive (${bytes.length} bytes): it is truncated`);
  }

  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    const where = `central directory entry ${i}`;
    if (at + 46 > bytes.length || u32(at) !== SIG_CENTRAL) throw corrupt(`expected a central directory record, found other bytes`, where);
    const flags = u16(at + 8);
    const methodCode = u16(at + 10);
    const crc32 = u32(at + 16);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let localHeaderOffset = u32(at + 42);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > bytes.length) throw corrupt('central directory record runs past the end of the archive', where);
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    // Bit 11 marks UTF-8 names; others are CP437, whose ASCII range is all Keras ever writes.
    const name = flags & 0x800 ? new TextDecoder('utf-8', { fatal: false }).decode(nameBytes) : latin1(nameBytes);
    const entryWhere = `zip entry '${name}'`;

    // ZIP64 extra field: the saturated values follow in a fixed order.
    if (compressedSize === 0xffffffff || size === 0xffffffff || localHeaderOffset === 0xffffffff) {
      let x = at + 46 + nameLength;
      const xEnd = x + extraLength;
      let found = false;
      while (x + 4 <= xEnd) {
        const id = u16(x);
        const len = u16(x + 2);
        if (id === 0x0001) {
          let p = x + 4;
          const need = (n: string) => {
            if (p + 8 > x + 4 + len) throw corrupt('ZIP64 extra field is shorter than the values it must hold', entryWhere);
            const v = u64(p, `ZIP64 ${n}`);
            p += 8;
            return v;
          };
          if (size === 0xffffffff) size = need('uncompressed size');
          if (compressedSize === 0xffffffff) compressedSize = need('compressed size');
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = need('local header offset');
          found = true;
          break;
        }
        x += 4 + len;
      }
      if (!found) throw corrupt('sizes are marked as ZIP64 but the entry has no ZIP64 extra field', entryWhere);
    }

    if (flags & 0x1) throw new KconvError('UNSUPPORTED_FEATURE', 'the archive is encrypted; kconv reads only unencrypted archives', { file, where: entryWhere });
    let method: ZipMethod;
    if (methodCode === 0) method = 'stored';
    else if (methodCode === 8) method = 'deflate';
    else {
      throw new KconvError('UNSUPPORTED_FEATURE', `compression method ${methodCode} is not supported: expected 0 (STORED) or 8 (DEFLATE)`, {
        file,
        where: entryWhere,
      });
    }

    checkName(name, corrupt, entryWhere);
    if (byName.has(name)) throw corrupt(`the archive holds two entries named '${name}': which one is meant is ambiguous`, entryWhere);

    if (size > limits.maxEntryBytes) {
      throw new KconvError('LIMIT_EXCEEDED', `entry declares ${size} uncompressed bytes; the per-entry limit is ${limits.maxEntryBytes} (limits.maxTotalBytes)`, { file, where: entryWhere });
    }
    if (method === 'stored' && size !== compressedSize) {
      throw corrupt(`a STORED entry must have equal sizes, found ${compressedSize} stored bytes declared as ${size}`, entryWhere);
    }
    if (method === 'deflate' && size > RATIO_EXEMPT_BYTES && size > limits.maxRatio * Math.max(compressedSize, 1)) {
      throw new KconvError(
        'LIMIT_EXCEEDED',
        `entry declares ${size} bytes from ${compressedSize} compressed (ratio ${(size / Math.max(compressedSize, 1)).toFixed(0)}:1, limit ${limits.maxRatio}:1, limits.maxDecompressionRatio): a zip bomb?`,
        { file, where: entryWhere },
      );
    }

    const entry: ZipEntry = { name, method, compressedSize, size, crc32, isDirectory: name.endsWith('/'), localHeaderOffset };
    entries.push(entry);
    byName.set(name, entry);
    at = end;
  }

  // Locate each entry's data now, so a truncated archive fails on open rather than on first read.
  const dataStart = new Map<ZipEntry, number>();
  for (const entry of entries) {
    const where = `zip entry '${entry.name}'`;
    const lh = entry.localHeaderOffset;
    if (lh + 30 > bytes.length || u32(lh) !== SIG_LOCAL) throw corrupt(`expected a local file header at offset ${lh}, found other bytes`, where);
    const start = lh + 30 + u16(lh + 26) + u16(lh + 28);
    if (start + entry.compressedSize > bytes.length) {
      throw corrupt(
        `entry data (${entry.compressedSize} bytes at offset ${start}) runs past the end of the archive (${bytes.length} bytes): the archive is truncated`,
        where,
      );
    }
    dataStart.set(entry, start);
  }
  const ranges = entries.filter((e) => e.compressedSize > 0).map((e) => ({ e, from: e.localHeaderOffset, to: dataStart.get(e)! + e.compressedSize }));
  ranges.sort((a, b) => a.from - b.from);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i].from < ranges[i - 1].to) {
      throw corrupt(`entries '${ranges[i - 1].e.name}' and '${ranges[i].e.name}' overlap in the archive (a zip-bomb technique)`);
    }
  }

  let produced = 0;
  const read = (entryOrName: ZipEntry | string): Uint8Array => {
    const entry = typeof entryOrName === 'string' ? byName.get(entryOrName) : entryOrName;
    if (!entry || !dataStart.has(entry)) throw new KconvError('CORRUPT_FILE', `the archive has no entry '${String(typeof entryOrName === 'string' ? entryOrName : entryOrName.name)}'`, { file });
    const where = `zip entry '${entry.name}'`;
    if (produced + entry.size > limits.maxTotalBytes) {
      throw new KconvError('LIMIT_EXCEEDED', `reading '${entry.name}' would bring the bytes extracted to ${produced + entry.size}; the limit is ${limits.maxTotalBytes} (limits.maxTotalBytes)`, {
        file,
        where,
      });
    }
    const start = dataStart.get(entry)!;
    const raw = bytes.subarray(start, start + entry.compressedSize);
    // A stored member is returned as a plain Uint8Array view of the archive, not a copy: every
    // reader kconv hands it to (HDF5, .npy, JSON) copies what it keeps, and copying 10 MB of
    // weights here was a tenth of loading a .keras. Callers must not modify what read() returns.
    const out = entry.method === 'stored' ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : inflateBounded(raw, entry.size, (m) => corrupt(m, where));
    produced += out.length;
    const actual = (nativeCrc32 ?? crc32)(out);
    if (actual !== entry.crc32) {
      throw new KconvError('CHECKSUM_MISMATCH', `CRC-32 of the extracted data is ${hex(actual)}, the archive declares ${hex(entry.crc32)}`, { file, where });
    }
    return out;
  };

  return { entries, entry: (name) => byName.get(name), read };
}

/** Inflates raw DEFLATE data that must produce exactly `size` bytes, stopping as soon as it produces more. */
function inflateBounded(raw: Uint8Array, size: number, corrupt: (message: string) => KconvError): Uint8Array {
  const out = new Uint8Array(size);
  let filled = 0;
  let overflow = false;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    if (filled + chunk.length > size) {
      overflow = true;
      return;
    }
    out.set(chunk, filled);
    filled += chunk.length;
    if (final) finished = true;
  });
  try {
    for (let p = 0; p < raw.length && !overflow; p += INFLATE_CHUNK) {
      inflater.push(raw.subarray(p, Math.min(p + INFLATE_CHUNK, raw.length)), p + INFLATE_CHUNK >= raw.length);
    }
    if (raw.length === 0) inflater.push(raw, true);
  } catch (e) {
    if (overflow) throw corrupt(`the entry inflates to more than the ${size} bytes it declares`);
    throw corrupt(`DEFLATE data is damaged: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (overflow) throw corrupt(`the entry inflates to more than the ${size} bytes it declares`);
  if (filled !== size || !finished) throw corrupt(`the entry inflates to ${filled} bytes${finished ? '' : ' before its data ends abruptly'}, but declares ${size}`);
  return out;
}

function findEocd(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
    // The comment length must reach exactly to the end of the file, which rules out a stray signature.
    if (view.getUint32(at, true) === SIG_EOCD && at + EOCD_SIZE + view.getUint16(at + 20, true) === bytes.length) return at;
  }
  return -1;
}

function checkName(name: string, corrupt: (message: string, where?: string) => KconvError, where: string): void {
  const parts = name.split(/[\\/]/);
  if (name.length === 0) throw corrupt('an entry has an empty name', where);
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || parts.includes('..')) {
    throw corrupt(`entry name '${name}' points outside the archive (absolute path or '..')`, where);
  }
  if (name.includes('\0')) throw corrupt(`entry name contains a NUL character`, where);
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

let nativeCrc32: ((data: Uint8Array) => number) | null = null;

/**
 * Lets a platform entry install a native CRC-32 with the same result as crc32() (Node's
 * zlib.crc32, about twice as fast); this module stays isomorphic. null restores crc32().
 */
export function useNativeCrc32(fn: ((data: Uint8Array) => number) | null): void {
  nativeCrc32 = fn;
}

/** Slicing-by-8 tables: table k (at k * 256) advances the CRC over a byte followed by k zero bytes. */
let crcTables: Int32Array | undefined;

// The tables and the running value are kept as signed 32-bit integers: V8 keeps those in
// registers, while values above 2^31 (what Uint32Array reads and `>>> 0` give) become heap
// doubles. Same bits, and 1.65x faster on a 10 MB member (10.6 -> 6.4 ms, measured 2026-12-02).
function makeCrcTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n];
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
}

/**
 * CRC-32 (IEEE 802.3, reflected, as zip uses). Eight bytes per step (slicing-by-8): every
 * archive member is checked on extraction, and byte-at-a-time was the largest part of loading
 * a 10 MB `.keras` (about 3 ns per byte).
 */
export function crc32(data: Uint8Array): number {
  const t = (crcTables ??= makeCrcTables());
  let crc = -1;
  let i = 0;
  for (const end8 = data.length - 7; i < end8; i += 8) {
    const a = crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    crc =
      t[7 * 256 + (a & 0xff)] ^
      t[6 * 256 + ((a >>> 8) & 0xff)] ^
      t[5 * 256 + ((a >>> 16) & 0xff)] ^
      t[4 * 256 + (a >>> 24)] ^
      t[3 * 256 + data[i + 4]] ^
      t[2 * 256 + data[i + 5]] ^
      t[256 + data[i + 6]] ^
      t[data[i + 7]];
  }
  for (; i < data.length; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
