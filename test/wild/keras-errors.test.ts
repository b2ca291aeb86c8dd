/**
 * Damaged and hostile `.keras` files, made by mutating a real archive (Keras 3.6, from the
 * corpus): each gives a KconvError with a code and a message that says what was wrong.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { openZip } from '../../src/formats/zip.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';

const available = corpusAvailable();
const ORIGINAL = join(CORPUS, 'wild', 'ecg-keras3.6-dotkeras', 'ecg_model.keras');

/** The archive's entries, to rebuild variants of it. */
function entries(): Record<string, Uint8Array> {
  const zip = openZip(readFileSync(ORIGINAL));
  return Object.fromEntries(zip.entries.map((e) => [e.name, zip.read(e)]));
}

function rezip(files: Zippable, level: 0 | 6 = 0): Uint8Array {
  return zipSync(files, { level });
}

function withConfig(edit: (config: any) => void): Uint8Array {
  const files = entries();
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  edit(config);
  return rezip({ ...files, 'config.json': strToU8(JSON.stringify(config)) });
}

async function expectError(bytes: Uint8Array, code: string, pattern: RegExp): Promise<KconvError> {
  let error: unknown;
  try {
    await readKerasArchive(bytes, { filename: 'mutated.keras' });
  } catch (e) {
    error = e;
  }
  expect(error, 'expected the read to fail').toBeInstanceOf(KconvError);
  const k = error as KconvError;
  if (process.env.SHOW_ERRORS) console.log(`${k.code}: ${k.message}`);
  expect(k.code).toBe(code);
  expect(k.message).toMatch(pattern);
  return k;
}

describe.runIf(available)('.keras files that must be refused (mutations of a real Keras 3.6 archive)', () => {
  it('the unmutated archive, re-zipped with DEFLATE, still loads (users re-zip files)', async () => {
    const graph = await readKerasArchive(rezip(entries(), 6));
    expect(graph.nodes.filter((n) => n.op === 'Conv1D')).toHaveLength(2);
  });

  it('a zip bomb: the weights entry declares an absurd size for its compressed bytes', async () => {
    const bytes = rezip(entries(), 6);
    // Patch model.weights.h5's declared uncompressed size in the central directory to ~3 GiB.
    const view = new DataView(bytes.buffer);
    let eocd = bytes.length - 22;
    while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
    let at = view.getUint32(eocd + 16, true);
    for (let i = 0; i < view.getUint16(eocd + 10, true); i++) {
      const nameLength = view.getUint16(at + 28, true);
      const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
      if (name === 'model.weights.h5') view.setUint32(at + 24, 3 * 2 ** 30, true);
      at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    }
    await expectError(bytes, 'LIMIT_EXCEEDED', /declares \d+ .*bytes/);
  });

  it('a zip bomb: an extra entry inflating 1000s of times its size', async () => {
    await expectError(rezip({ ...entries(), 'assets/padding.bin': [new Uint8Array(16 * 2 ** 20), { level: 9 }] }), 'LIMIT_EXCEEDED', /zip bomb/);
  });

  it('no config.json', async () => {
    const { 'config.json': _dropped, ...rest } = entries();
    const e = await expectError(rezip(rest), 'CORRUPT_FILE', /config\.json.*found only \[metadata\.json, model\.weights\.h5\]/);
    expect(e.where).toBe('config.json');
  });

  it('no weights', async () => {
    const { 'model.weights.h5': _dropped, ...rest } = entries();
    await expectError(rezip(rest), 'CORRUPT_FILE', /model\.weights\.h5/);
  });

  it('config.json that is not JSON', async () => {
    await expectError(rezip({ ...entries(), 'config.json': strToU8('{"module": "keras", "class_name": ') }), 'BAD_CONFIG', /expected JSON/);
  });

  it('a weight count that disagrees with the config (Conv1D without bias, file has a bias)', async () => {
    const bytes = withConfig((c) => {
      c.config.layers.find((l: any) => l.config.name === 'conv1d_1').config.use_bias = false;
    });
    await expectError(bytes, 'BAD_WEIGHTS', /conv1d_1/);
  });

  it('a layer in the config that has no weights in the file', async () => {
    const bytes = withConfig((c) => {
      const dense = c.config.layers.find((l: any) => l.config.name === 'dense_1');
      c.config.layers.push({ ...dense, config: { ...dense.config, name: 'extra_dense' } });
    });
    await expectError(bytes, 'BAD_WEIGHTS', /extra_dense/);
  });

  it('a truncated archive', async () => {
    const bytes = readFileSync(ORIGINAL);
    for (const keep of [bytes.length - 1, bytes.length - 200, Math.floor(bytes.length / 2), 100]) {
      await expectError(bytes.subarray(0, keep), 'CORRUPT_FILE', /truncated/);
    }
  });

  it('a corrupted byte inside the stored weights (CRC)', async () => {
    const bytes = new Uint8Array(readFileSync(ORIGINAL));
    bytes[bytes.length - 5000] ^= 0x55;
    await expectError(bytes, 'CHECKSUM_MISMATCH', /CRC-32/);
  });

  it('bytes that are neither zip nor HDF5', async () => {
    await expectError(strToU8('{"class_name": "Sequential"}'), 'UNSUPPORTED_FORMAT', /expected a \.keras zip archive.*JSON/);
  });
});
