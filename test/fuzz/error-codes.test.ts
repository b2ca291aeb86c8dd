/**
 * Every code in ERROR_CODES, triggered from a real file (mostly a corpus file damaged in one
 * precise way) or a real API call. A code no input can produce would be a dead code: this test
 * fails for any code without a trigger here.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ERROR_CODES, isKconvError, load, save, type KconvErrorCode, type Model } from '../../src/index.js';
import { Model as ModelClass } from '../../src/api/model.js';
import { readBytes, writeFileSafely } from '../../src/node.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { CORPUS, corpusAvailable, FIXTURES } from '../helpers/paths.js';
import { parseZipEntries, writeZipEntries } from './bytes-util.js';

const WILD = join(CORPUS, 'wild');
const read = (...p: string[]) => new Uint8Array(readFileSync(join(WILD, ...p)));
const enc = new TextEncoder();

/** Replaces the first occurrence of `from` by `to` (same length: the file's layout is unchanged). */
function patch(bytes: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new Error('patch must keep the length');
  const needle = enc.encode(from);
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) {
      const out = bytes.slice();
      out.set(enc.encode(to), i);
      return out;
    }
  }
  throw new Error(`'${from}' not found`);
}

/** load(), or the .keras reader while the public load does not route zips yet in this build. */
async function loadAny(bytes: Uint8Array, filename: string): Promise<Model> {
  try {
    return await load(bytes, { filename });
  } catch (e) {
    if (isKconvError(e) && /not available in this build/.test(e.message)) return new ModelClass(await readKerasArchive(bytes, { filename }), filename);
    throw e;
  }
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action();
  } catch (e) {
    if (isKconvError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

const ecg = () => read('ecg-keras3.13-legacy-h5', 'ecg_model.h5');
const x = (steps: number, channels: number) => ({ dtype: 'float32' as const, shape: [1, steps, channels], data: new Float32Array(steps * channels) });

const triggers: Record<KconvErrorCode, () => unknown> = {
  CORRUPT_FILE: () => load(read('dl4j-tfkeras-2.2.4-cnn1d-grid', 'cnn1d_18.h5').subarray(0, 4000)),
  UNSUPPORTED_FORMAT: () => load(new Uint8Array(readFileSync(join(FIXTURES, 'npy', 'f4_2x3_v1.npy')))),
  BAD_CONFIG: () => load(patch(ecg(), '"batch_shape": [null, 180, 1]', '"batch_shape": "null, 180, 1"')),
  BAD_WEIGHTS: () => load(patch(ecg(), '"filters": 8', '"filters": 9')),
  UNSUPPORTED_LAYER: async () => (await load(patch(ecg(), '"class_name": "Dense"', '"class_name": "Dxnse"'))).predict(x(180, 1)),
  UNSUPPORTED_FEATURE: () => {
    const entries = parseZipEntries(read('cnn1d-keras3.1-dotkeras', 'cnn1d_model.keras'))!;
    entries[0].method = 12; // bzip2
    return loadAny(writeZipEntries(entries), 'cnn1d_model.keras');
  },
  INVALID_GRAPH: async () => (await load(patch(ecg(), '"pool_size": [2]', '"pool_size": [0]'))).predict(x(180, 1)),
  BAD_INPUT: async () => (await load(ecg())).predict(x(180, 3)),
  CHECKSUM_MISMATCH: () => {
    const entries = parseZipEntries(read('cnn1d-keras3.1-dotkeras', 'cnn1d_model.keras'))!;
    const config = entries.find((e) => e.name === 'config.json')!;
    config.crc = (config.crc ^ 1) >>> 0;
    return loadAny(writeZipEntries(entries), 'cnn1d_model.keras');
  },
  NOT_REPRESENTABLE: async () => save(await load(patch(read('dl4j-tfkeras-2.2.4-cnn1d-grid', 'cnn1d_24.h5'), '"dilation_rate": [1]', '"dilation_rate": [2]')), { format: 'keras-v3' }),
  LIMIT_EXCEEDED: () => {
    const json = new TextDecoder().decode(read('deeplift-keras2.1.6-weights-only', 'keras2_conv1d_record_5_model_PQzyq_modelJson.json'));
    const deep = json.replace('"config"', `"deep": ${'['.repeat(5000)}${']'.repeat(5000)}, "config"`);
    return load(read('deeplift-keras2.1.6-weights-only', 'keras2_conv1d_record_5_model_PQzyq_modelWeights.h5'), { architecture: deep });
  },
  OUTPUT_EXISTS: () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kconv-codes-')), 'model.keras');
    writeFileSync(path, 'already here');
    return writeFileSafely(path, new Uint8Array([1, 2, 3]));
  },
  IO_ERROR: () => readBytes(join(tmpdir(), 'kconv-no-such-dir', 'model.h5')),
  USAGE: () => load(ecg(), { backend: 'cuda' as 'theano' }),
  DISPOSED: async () => {
    const model = await load(ecg());
    model.dispose();
    return model.predict(x(180, 1));
  },
};

describe.runIf(corpusAvailable())('every error code has a real trigger', () => {
  test('the triggers cover exactly ERROR_CODES', () => {
    expect(Object.keys(triggers).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
  for (const [code, trigger] of Object.entries(triggers)) {
    test(code, async () => {
      expect(await codeOf(trigger)).toBe(code);
    });
  }
});
