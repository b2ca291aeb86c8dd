import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import * as zlib from 'node:zlib';
import { crc32, openZip, useNativeCrc32, type ZipArchive } from '../../src/formats/zip.js';
import { ROOT } from '../helpers/paths.js';

const DATA = join(ROOT, 'test', 'data', 'zip');

/** The contents test/data/zip/make_zips.py writes, rebuilt the same way. */
const PYTHON_CONTENTS: Record<string, Uint8Array> = {
  'metadata.json': strToU8('{"keras_version": "3.x", "date_saved": "2024-01-01@00:00:00"}'),
  'config.json': strToU8('{"module": "keras", "class_name": "Sequential", "config": {"layers": []}}'.repeat(20)),
  'model.weights.h5': Uint8Array.from({ length: 256 * 64 }, (_, i) => i % 256),
};

function expectKconvError(fn: () => unknown, code: string, pattern?: RegExp): KconvError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KconvError);
    const err = e as KconvError;
    expect(err.code).toBe(code);
    if (pattern) expect(err.message).toMatch(pattern);
    return err;
  }
  throw new Error(`expected a KconvError ${code}, but nothing was thrown`);
}

function readAll(zip: ZipArchive): Record<string, Uint8Array> {
  return Object.fromEntries(zip.entries.filter((e) => !e.isDirectory).map((e) => [e.name, zip.read(e)]));
}

/** Offsets of the central directory records of an archive (found through its EOCD record). */
function centralRecords(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(at);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

function patch(bytes: Uint8Array, edit: (view: DataView, central: number[]) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), centralRecords(copy));
  return copy;
}

const small = {
  'a.txt': strToU8('hello, archive'),
  'dir/b.bin': Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 251),
};

describe('zip reading: archives written by other tools', () => {
  it('reads DEFLATE and STORED entries written by Python zipfile', () => {
    const zip = openZip(readFileSync(join(DATA, 'python-deflate.zip')));
    expect(zip.entries.map((e) => [e.name, e.method])).toEqual([
      ['metadata.json', 'deflate'],
      ['config.json', 'deflate'],
      ['model.weights.h5', 'stored'],
    ]);
    expect(readAll(zip)).toEqual(PYTHON_CONTENTS);
  });

  it('reads streamed entries with data descriptors and ZIP64 extra fields (Python force_zip64)', () => {
    const zip = openZip(readFileSync(join(DATA, 'python-streamed-zip64.zip')));
    expect(readAll(zip)).toEqual(PYTHON_CONTENTS);
  });

  for (const level of [0, 1, 6, 9] as const) {
    it(`round-trips an fflate archive at level ${level} (${level === 0 ? 'STORED' : 'DEFLATE'})`, () => {
      const bytes = zipSync(small, { level });
      const zip = openZip(bytes);
      expect(zip.entries.every((e) => e.method === (level === 0 ? 'stored' : 'deflate'))).toBe(true);
      expect(readAll(zip)).toEqual(small);
      expect(zip.entry('dir/b.bin')?.size).toBe(3000);
    });
  }

  it('reads an empty archive', () => {
    expect(openZip(zipSync({})).entries).toEqual([]);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(strToU8('123456789'))).toBe(0xcbf43926);
  });

  it('CRC-32 eight bytes at a time equals the byte-at-a-time definition, at every length and alignment', () => {
    const bytewise = (d: Uint8Array) => {
      let crc = 0xffffffff;
      for (const byte of d) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
      }
      return (crc ^ 0xffffffff) >>> 0;
    };
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + (i >> 3) * 7 + 5) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let len = 0; len + start <= data.length; len += start + 1) {
        const part = data.subarray(start, start + len);
        expect(crc32(part), `start ${start} length ${len}`).toBe(bytewise(part));
      }
    }
  });
});

describe('zip reading: bombs and limits', () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);

  it('refuses an entry whose declared size is absurd for its compressed size', () => {
    const bytes = patch(zipSync({ 'model.weights.h5': zeros.subarray(0, 1000) }, { level: 9 }), (v, [c]) => v.setUint32(c + 24, 0xfffffff0, true));
    expectKconvError(() => openZip(bytes, { limits: { maxEntryBytes: 2 ** 33 } }), 'LIMIT_EXCEEDED', /ratio .*zip bomb/);
    expectKconvError(() => openZip(bytes), 'LIMIT_EXCEEDED', /per-entry limit/);
  });

  it('refuses a real DEFLATE bomb (8 MiB of zeros, ratio above 1000:1)', () => {
    const bytes = zipSync({ 'model.weights.h5': zeros }, { level: 9 });
    expect(bytes.length).toBeLessThan(zeros.length / 1000);
    expectKconvError(() => openZip(bytes), 'LIMIT_EXCEEDED', /zip bomb/);
    // With the ratio check relaxed, the same archive reads fine: the limit is what refused it.
    expect(openZip(bytes, { limits: { maxRatio: 5000 } }).read('model.weights.h5').length).toBe(zeros.length);
  });

  it('stops inflating an entry that produces more than it declares', () => {
    const bytes = patch(zipSync({ 'x.bin': zeros.subarray(0, 200_000) }, { level: 9 }), (v, [c]) => v.setUint32(c + 24, 60_000, true));
    const zip = openZip(bytes);
    expectKconvError(() => zip.read('x.bin'), 'CORRUPT_FILE', /inflates to more than the 60000 bytes/);
  });

  it('refuses an entry that inflates to less than it declares', () => {
    const bytes = patch(zipSync({ 'x.bin': zeros.subarray(0, 1000) }, { level: 9 }), (v, [c]) => v.setUint32(c + 24, 2000, true));
    expectKconvError(() => openZip(bytes).read('x.bin'), 'CORRUPT_FILE', /inflates to 1000 bytes.*declares 2000/);
  });

  it('caps the total bytes extracted from one archive', () => {
    const zip = openZip(zipSync(small, { level: 0 }), { limits: { maxTotalBytes: 2000 } });
    zip.read('a.txt');
    expectKconvError(() => zip.read('dir/b.bin'), 'LIMIT_EXCEEDED', /limit is 2000/);
  });

  it('caps the number of entries', () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, strToU8(String(i))]));
    expectKconvError(() => openZip(zipSync(many), { limits: { maxEntries: 10 } }), 'LIMIT_EXCEEDED', /20 entries/);
  });

  it('refuses overlapping entries (two names sharing one compressed stream)', () => {
    const bytes = patch(zipSync(small, { level: 6 }), (v, [c0, c1]) => v.setUint32(c1 + 42, v.getUint32(c0 + 42, true), true));
    expectKconvError(() => openZip(bytes), 'CORRUPT_FILE', /overlap/);
  });
});

describe('zip reading: damaged and ambiguous archives', () => {
  const good = zipSync(small, { level: 6 });

  it('reports a truncated archive (end record missing)', () => {
    expectKconvError(() => openZip(good.subarray(0, good.length - 30)), 'CORRUPT_FILE', /truncated/);
    expectKconvError(() => openZip(good.subarray(0, good.length >> 1)), 'CORRUPT_FILE', /truncated/);
  });

  it('never throws anything but a KconvError, whatever the cut', () => {
    for (let cut = 0; cut < good.length; cut++) {
      try {
        const zip = openZip(good.subarray(0, cut));
        for (const e of zip.entries) zip.read(e);
      } catch (e) {
        expect(e, `cut at ${cut}`).toBeInstanceOf(KconvError);
      }
    }
  });

  it('reports data that lies past the end of the archive', () => {
    const bytes = patch(good, (v, [c0]) => v.setUint32(c0 + 42, good.length - 40, true));
    expectKconvError(() => openZip(bytes), 'CORRUPT_FILE');
  });

  it('refuses bytes that are not a zip', () => {
    expectKconvError(() => openZip(strToU8('not a zip at all, just some text that is long enough')), 'CORRUPT_FILE', /not a zip/);
  });

  it('detects corrupted stored data by its CRC', () => {
    const stored = zipSync(small, { level: 0 });
    const bytes = stored.slice();
    bytes[40] ^= 0xff; // inside a.txt's data (30-byte header + 5-byte name)
    expectKconvError(() => openZip(bytes).read('a.txt'), 'CHECKSUM_MISMATCH');
  });

  it("with Node's zlib CRC-32 installed (as src/node.ts does): the same values, and the same refusal", () => {
    const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    expect(typeof native).toBe('function'); // Node ≥ 20.15
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 131 + (i >> 3) * 7 + 5) & 0xff);
    for (const len of [0, 1, 7, 16, 33, 4999]) expect(native!(data.subarray(3, 3 + len)) >>> 0).toBe(crc32(data.subarray(3, 3 + len)));
    useNativeCrc32((d) => native!(d) >>> 0);
    try {
      const bytes = zipSync(small, { level: 0 }).slice();
      expect(new TextDecoder().decode(openZip(bytes).read('a.txt'))).toBe(new TextDecoder().decode(small['a.txt']));
      bytes[40] ^= 0xff;
      expectKconvError(() => openZip(bytes).read('a.txt'), 'CHECKSUM_MISMATCH');
    } finally {
      useNativeCrc32(null);
    }
  });

  it('reports damaged DEFLATE data', () => {
    const bytes = zipSync({ 'x.bin': Uint8Array.from({ length: 5000 }, (_, i) => (i * i) % 256) }, { level: 6 });
    for (let i = 40; i < 60; i++) bytes[i] = 0xff; // inside the DEFLATE stream
    const err = expectKconvError(() => openZip(bytes).read('x.bin'), 'CORRUPT_FILE');
    expect(err.where).toBe("zip entry 'x.bin'");
  });

  it('refuses duplicate names', () => {
    const bytes = zipSync({ 'a.json': strToU8('1'), 'b.json': strToU8('2') }, { level: 0 });
    const copy = patch(bytes, (v, [, c1]) => v.setUint8(c1 + 46, 'a'.charCodeAt(0)));
    expectKconvError(() => openZip(copy), 'CORRUPT_FILE', /two entries named 'a.json'/);
  });

  for (const name of ['../config.json', 'a/../../config.json', '/etc/passwd', 'C:/x', '..\\x']) {
    it(`refuses the entry name ${JSON.stringify(name)}`, () => {
      expectKconvError(() => openZip(zipSync({ [name]: strToU8('x') })), 'CORRUPT_FILE', /outside the archive/);
    });
  }

  it('refuses encrypted entries and unknown compression methods', () => {
    expectKconvError(() => openZip(patch(good, (v, [c0]) => v.setUint16(c0 + 8, 1, true))), 'UNSUPPORTED_FEATURE', /encrypted/);
    expectKconvError(() => openZip(patch(good, (v, [c0]) => v.setUint16(c0 + 10, 12, true))), 'UNSUPPORTED_FEATURE', /method 12/);
  });
});
