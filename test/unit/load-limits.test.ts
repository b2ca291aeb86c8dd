/**
 * `load(bytes, {limits})`: the limits reach every reader, and every tensor's declared size is
 * checked before it is allocated. Each case starts from a real file (the bundled example, golden
 * fixtures written by Keras/TF) and mutates it or lowers a limit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, test } from 'vitest';
import { load, type KconvError } from '../../src/index.js';
import { readTable } from '../../src/formats/sstable.js';
import { decodeProto } from '../../src/formats/tf-protos.js';
import { openZip } from '../../src/formats/zip.js';
import { h5Runtime, withHeapCap } from '../../src/formats/hdf5-runtime.js';
import { KconvError as KconvErrorClass } from '../../src/errors.js';
import { encodeProto, writeTable } from '../helpers/tf-writer.js';
import { kconv } from '../cli/run-kconv.js';
import { ensureBuilt } from '../helpers/build.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';

const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier', 'model.h5');
const KERNEL = '/model_weights/conv1d_1/conv1d_1/kernel:0'; // float32 [3, 8, 8]: 768 bytes
const CKPT = join(FIXTURES, 'cases', 'tf2.15', 'tf1-conv1d-same-d2-k3-sigmoid', 'ckpt');
const KERAS = join(FIXTURES, 'cases', 'keras3.0', 'conv1d-valid-s1-d1-k1-g1-cl-bias-linear-00--keras', 'model.keras');

const read = (path: string) => new Uint8Array(readFileSync(path));

async function loadError(promise: Promise<unknown>): Promise<KconvError> {
  try {
    await promise;
  } catch (e) {
    return e as KconvError;
  }
  throw new Error('expected the load to fail');
}

/** Offset of the version-1 dataspace message of the example's conv1d_1 kernel (rank 3, [3, 8, 8], with max dims). */
function kernelDataspace(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hits: number[] = [];
  for (let at = 0; at + 56 <= bytes.length; at++) {
    if (bytes[at] !== 1 || bytes[at + 1] !== 3 || bytes[at + 2] !== 1) continue;
    const dims = [0, 1, 2, 3, 4, 5].map((i) => Number(view.getBigUint64(at + 8 + 8 * i, true)));
    if (dims.join() === '3,8,8,3,8,8') hits.push(at);
  }
  expect(hits).toHaveLength(1);
  return hits[0];
}

describe('HDF5 datasets', () => {
  test('a dataset over a lowered limit is refused by its path, before it is read', async () => {
    const err = await loadError(load(read(EXAMPLE), { limits: { maxTensorBytes: 500 } }));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.where).toBe(KERNEL);
    expect(err.message).toMatch(/768 bytes .*limits\.maxTensorBytes/);
  });

  test('a dataspace patched to a huge shape fails on that dataset without allocating it', async () => {
    const bytes = read(EXAMPLE);
    const at = kernelDataspace(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setBigUint64(at + 8, 2n ** 40n, true); // dims[0]
    view.setBigUint64(at + 8 + 24, 2n ** 40n, true); // maxdims[0]
    const before = process.memoryUsage().arrayBuffers;
    const err = await loadError(load(bytes));
    // The dataset is stored contiguously: the HDF5 library itself compares the dataspace with the
    // storage it has in the file when the dataset is opened for its metadata, so this is a damaged
    // file (CORRUPT_FILE) rather than a limit; either way nothing near 2^40 × 256 bytes is allocated.
    expect(['CORRUPT_FILE', 'LIMIT_EXCEEDED']).toContain(err.code);
    expect(err.where).toBe(KERNEL);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 ** 2);
  });

  test('maxTotalBytes caps all the weights of a model together and says which limit', async () => {
    const bytes = read(EXAMPLE);
    const model = await load(bytes);
    const total = [...model.graph.weights.values()].reduce((sum, t) => sum + t.data.byteLength, 0);
    expect(total).toBe(2764);
    const err = await loadError(load(bytes, { limits: { maxTotalBytes: 2000 } }));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/limits\.maxTotalBytes/);
    // Every tensor alone is under the cap: it is the running total that trips it.
    expect(err.message).toMatch(/would exceed the total of 2000 bytes/);
    await expect(load(bytes, { limits: { maxTotalBytes: total } })).resolves.toBeDefined();
  });

  test('maxTotalBytes caps the weights and the values of a plan together, each value being under maxBufferBytes', async () => {
    const input = { dtype: 'float32' as const, shape: [1, 32, 3], data: new Float32Array(96) };
    // The example's weights are 2764 bytes, and the ten values of its 32-step run 3120 (input
    // 32 × 3 floats, first Conv1D 30 × 8, ...): 5884 in all. One byte less is refused at compile.
    const tight = await load(read(EXAMPLE), { limits: { maxTotalBytes: 5883 } });
    const err = await loadError(tight.predict(input));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/would hold 3120 bytes of values \(10 values\) next to 2764 bytes of weights: expected at most 5883 bytes in all \(limits\.maxTotalBytes\)/);
    const exact = await load(read(EXAMPLE), { limits: { maxTotalBytes: 5884 } });
    expect((await exact.predict(input))[0].shape).toEqual([1, 3]);
  });

  test('bad limits are usage errors', async () => {
    await expect(load(read(EXAMPLE), { limits: { maxTotalBytes: 0 } })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(load(read(EXAMPLE), { limits: { maxMegabytes: 1 } as never })).rejects.toMatchObject({ code: 'USAGE' });
  });

  test("predict works within the load's maxBufferBytes and refuses a buffer beyond it", async () => {
    const input = { dtype: 'float32' as const, shape: [1, 32, 3], data: new Float32Array(96) };
    const ok = await load(read(EXAMPLE));
    expect((await ok.predict(input))[0].shape).toEqual([1, 3]);
    const tight = await load(read(EXAMPLE), { limits: { maxBufferBytes: 256 } });
    await expect(tight.predict(input)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/limits\.maxBufferBytes = 256/) });
  });
});

const TCN = join(FIXTURES, 'cases', 'keras3.2', 'model-tcn--h5', 'model.h5');
/** The fuzz case keras3.2/model-tcn--h5 'chunks' 1800381966, as saved by the fuzzer. */
const TCN_FUZZ_CASE = join(ROOT, 'test', 'fuzz', 'regressions', 'h5-chunks-6b4fa60e.files', '0-model.h5');

/** How far h5wasm's WebAssembly memory has grown (it never shrinks, so growth is what a load cost). */
const h5Heap = async () => (await h5Runtime()).module.HEAPU8.length;

/**
 * Offset of the stored variable-length string (length u32, global heap collection address u64,
 * object index u32) whose heap object is `text`: Keras's h5py writes name lists such as
 * `layer_names` this way. The collection is walked for the object's index (HDF5 spec, "Global
 * Heap"); the element must be the only one pointing at it.
 */
function vlenElement(bytes: Uint8Array, text: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hits: number[] = [];
  for (let g = 0; g + 16 <= bytes.length; g++) {
    if (bytes[g] !== 0x47 || bytes[g + 1] !== 0x43 || bytes[g + 2] !== 0x4f || bytes[g + 3] !== 0x4c || bytes[g + 4] !== 1) continue;
    const end = g + Number(view.getBigUint64(g + 8, true));
    const indices: number[] = [];
    for (let p = g + 16; p + 16 <= end; ) {
      const index = view.getUint16(p, true);
      const size = Number(view.getBigUint64(p + 8, true));
      if (index === 0) break;
      if (new TextDecoder().decode(bytes.subarray(p + 16, p + 16 + size)) === text) indices.push(index);
      p += 16 + Math.ceil(size / 8) * 8;
    }
    for (let at = 0; at + 16 <= bytes.length; at++) {
      if (Number(view.getBigUint64(at + 4, true)) === g && indices.includes(view.getUint32(at + 12, true)) && view.getUint32(at, true) === text.length) hits.push(at);
    }
  }
  expect(hits).toHaveLength(1);
  return hits[0];
}

describe('HDF5 library memory', () => {
  test('the fuzz case whose damaged string length grew the HDF5 memory past 1.4 GB is refused by that attribute, within 64 MiB', async () => {
    await load(read(TCN), { filename: 'model.h5' }); // warm: the module's first load grows it legitimately
    const before = await h5Heap();
    const err = await loadError(load(read(TCN_FUZZ_CASE), { filename: 'model.h5' }));
    expect(err).toBeInstanceOf(KconvErrorClass);
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', where: '/model_weights/conv1d_1@weight_names', file: 'model.h5' });
    // Names what was expected (the cap: file size + workspace) and what was found (the request).
    expect(err.message).toMatch(/expected the HDF5 library to need at most 67168128 more bytes of memory, found it asking for \d{10} /);
    expect((await h5Heap()) - before).toBeLessThanOrEqual(64 * 1024 ** 2 + 59264);
    // The refusal leaves the module usable: the undamaged file still loads in the same process.
    await expect(load(read(TCN), { filename: 'model.h5' })).resolves.toBeDefined();
  });

  test('a layer name whose stored length is set to 1 GiB fails on layer_names without allocating it', async () => {
    const bytes = read(TCN);
    await load(bytes); // the undamaged file loads
    const at = vlenElement(bytes, 'conv1d');
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, 2 ** 30, true);
    const before = await h5Heap();
    const err = await loadError(load(bytes));
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', where: '/model_weights@layer_names' });
    expect((await h5Heap()) - before).toBeLessThanOrEqual(64 * 1024 ** 2 + bytes.length);
  });

  test('withHeapCap refuses growth of the HDF5 module only, only during the call, and restores Memory.prototype.grow', async () => {
    const rt = await h5Runtime();
    const grow = WebAssembly.Memory.prototype.grow;
    const other = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const refuse = (asked: number) => new KconvErrorClass('LIMIT_EXCEEDED', `asked ${asked}`);
    const before = rt.module.HEAPU8.length;
    // The request below must be one the module could grow to (its maximum is 2 GiB): the loads
    // above kept the heap small, which is what this file checks.
    expect(before).toBeLessThan(2 ** 30);
    // More than the heap holds: malloc has to grow the memory, is refused, and returns NULL.
    const ptr = withHeapCap(rt, { maxGrowth: 0, refuse }, () => {
      expect(other.grow(1)).toBe(1); // another module's memory grows as usual
      return rt.module._malloc(before + 1);
    });
    expect(ptr).toBe(0);
    expect(rt.module.HEAPU8.length).toBe(before);
    // A call that fails after a refused growth ends in the cap's error, naming the bytes asked.
    expect(() =>
      withHeapCap(rt, { maxGrowth: 0, refuse }, () => {
        if (rt.module._malloc(before + 1) === 0) throw new Error('allocation failed');
      }),
    ).toThrow(/^asked \d+/);
    expect(WebAssembly.Memory.prototype.grow).toBe(grow);
    expect(other.grow(1)).toBe(2);
  });
});

describe('TF checkpoint bundles', () => {
  const files = () => ({
    'model.ckpt.index': read(join(CKPT, 'model.ckpt.index')),
    'model.ckpt.data-00000-of-00001': read(join(CKPT, 'model.ckpt.data-00000-of-00001')),
    'model.ckpt.meta': read(join(CKPT, 'model.ckpt.meta')),
  });

  /** The index with one entry (the first float tensor with a shape) rewritten by `change`. */
  function rewriteIndex(index: Uint8Array, change: (entry: Record<string, unknown> & { shape: { dim: { size: string }[] }; size: string }) => void): { bytes: Uint8Array; name: string } {
    let name = '';
    const entries = readTable(index).map(({ key, value }): [Uint8Array, Uint8Array] => {
      if (key.length === 0 || name) return [key, value];
      const entry = decodeProto<Record<string, unknown> & { dtype: number; shape?: { dim: { size: string }[] }; size: string }>('tensorflow.BundleEntryProto', value, 'test');
      if (entry.dtype !== 1 || !entry.shape || entry.shape.dim.length < 2) return [key, value];
      name = new TextDecoder().decode(key);
      change(entry as never);
      return [key, encodeProto('tensorflow.BundleEntryProto', entry)];
    });
    expect(name).not.toBe('');
    return { bytes: writeTable(entries), name };
  }

  test('the fixture loads with the defaults', async () => {
    await expect(load({ files: files() })).resolves.toBeDefined();
  });

  test('an entry whose shape is inflated to a huge size is over maxTensorBytes', async () => {
    const f = files();
    const { bytes, name } = rewriteIndex(f['model.ckpt.index'], (e) => {
      e.shape.dim[0].size = String(2 ** 40);
    });
    const err = await loadError(load({ files: { ...f, 'model.ckpt.index': bytes } }));
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', where: name });
    expect(err.message).toMatch(/limits\.maxTensorBytes/);
  });

  test('an entry whose shape no longer matches its size is a damaged index', async () => {
    const f = files();
    const { bytes, name } = rewriteIndex(f['model.ckpt.index'], (e) => {
      e.shape.dim[0].size = String(Number(e.shape.dim[0].size) * 1000);
    });
    const err = await loadError(load({ files: { ...f, 'model.ckpt.index': bytes } }));
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', where: name });
    expect(err.message).toMatch(/takes \d+ bytes, the index says \d+/);
  });

  test('an entry whose size and shape are inflated together runs past its shard', async () => {
    const f = files();
    const { bytes, name } = rewriteIndex(f['model.ckpt.index'], (e) => {
      const factor = 1000;
      e.shape.dim[0].size = String(Number(e.shape.dim[0].size) * factor);
      e.size = String(Number(e.size) * factor);
    });
    const err = await loadError(load({ files: { ...f, 'model.ckpt.index': bytes } }));
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', where: name });
    expect(err.message).toMatch(/past the end of .*data-00000-of-00001/);
  });

  test('maxTotalBytes caps the tensors read from the shards', async () => {
    const err = await loadError(load({ files: files() }, { limits: { maxTotalBytes: 64 } }));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/limits\.maxTotalBytes/);
  });
});

describe('.keras archives', () => {
  /** The fixture re-zipped with model.weights.h5 DEFLATEd and its declared size raised to `declared`. */
  function deflatedKeras(declared: number): Uint8Array {
    const zip = openZip(read(KERAS));
    const content = Object.fromEntries(zip.entries.map((e) => [e.name, zip.read(e)]));
    const bytes = zipSync(content, { level: 9 });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const name = new TextEncoder().encode('model.weights.h5');
    let patched = 0;
    for (let at = 0; at + 46 <= bytes.length; at++) {
      if (view.getUint32(at, true) !== 0x02014b50 || view.getUint16(at + 28, true) !== name.length) continue;
      if (!name.every((b, i) => bytes[at + 46 + i] === b)) continue;
      expect(view.getUint16(at + 10, true)).toBe(8); // DEFLATE
      view.setUint32(at + 24, declared, true); // the central directory's uncompressed size
      patched++;
    }
    expect(patched).toBe(1);
    return bytes;
  }

  test('re-zipped with DEFLATE, the fixture still loads', async () => {
    const zip = openZip(read(KERAS));
    const content = Object.fromEntries(zip.entries.map((e) => [e.name, zip.read(e)]));
    await expect(load(zipSync(content, { level: 9 }))).resolves.toBeDefined();
  });

  test('an entry declaring a ratio above a lowered maxDecompressionRatio is refused before inflating', async () => {
    const bytes = deflatedKeras(200_000);
    const compressed = openZip(bytes).entry('model.weights.h5')!.compressedSize;
    const ratio = 200_000 / compressed;
    expect(ratio).toBeGreaterThan(20);
    expect(ratio).toBeLessThan(1000);
    // Under the default ratio the entry is inflated, and found not to hold what it declares.
    await expect(load(bytes)).rejects.toMatchObject({ code: 'CORRUPT_FILE', where: "zip entry 'model.weights.h5'" });
    const err = await loadError(load(bytes, { limits: { maxDecompressionRatio: 20 } }));
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', where: "zip entry 'model.weights.h5'" });
    expect(err.message).toMatch(/limit 20:1, limits\.maxDecompressionRatio/);
  });

  test('maxTotalBytes caps the bytes extracted from the archive', async () => {
    const err = await loadError(load(read(KERAS), { limits: { maxTotalBytes: 1000 } }));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/limits\.maxTotalBytes/);
  });
});

describe('CLI --max-memory', () => {
  const example = join('examples', 'conv1d-classifier');
  beforeAll(() => ensureBuilt(), 240_000);

  test('a limit under the example weights fails with exit 2 and LIMIT_EXCEEDED', () => {
    // The example's weights take 2764 bytes: 0.001 MB (1048 bytes) is too little.
    const r = kconv(['inspect', join(example, 'model.h5'), '--max-memory', '0.001']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error LIMIT_EXCEEDED: .*\(--max-memory\)/);
  });

  test('1 MB is plenty for the example, and a bad value is a usage error', () => {
    const ok = kconv(['run', join(example, 'model.h5'), '-i', join(example, 'input.npy'), '--expected', join(example, 'expected.npy'), '--max-memory', '1', '-q']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const bad = kconv(['inspect', join(example, 'model.h5'), '--max-memory', '-5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error USAGE: --max-memory/);
  });
});
