/**
 * Mutated and truncated `.keras` archives (from a real Keras 3.0.1 save in test/data): reading
 * either succeeds or fails with a KconvError; never another exception, never a hang.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { openZip } from '../../src/formats/zip.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { ROOT } from '../helpers/paths.js';
import { Rng } from '../helpers/random.js';

const ORIGINAL = new Uint8Array(readFileSync(join(ROOT, 'test', 'data', 'keras-walk', 'keras3.0', 'seq.keras')));

async function outcome(bytes: Uint8Array): Promise<string> {
  try {
    await readKerasArchive(bytes, { filename: 'fuzzed.keras' });
    return 'ok';
  } catch (e) {
    if (!(e instanceof KconvError)) throw e;
    return e.code;
  }
}

describe('fuzzed .keras archives give a KconvError or a graph', () => {
  it('truncated anywhere', async () => {
    const rng = new Rng(11);
    const codes = new Set<string>();
    for (let i = 0; i < 40; i++) codes.add(await outcome(ORIGINAL.subarray(0, rng.int(0, ORIGINAL.length - 1))));
    expect(codes).toEqual(new Set(['CORRUPT_FILE']));
  });

  it('random bytes flipped anywhere in the archive', async () => {
    const rng = new Rng(12);
    for (let i = 0; i < 60; i++) {
      const bytes = ORIGINAL.slice();
      for (let k = rng.int(1, 4); k > 0; k--) bytes[rng.int(0, bytes.length - 1)] ^= rng.int(1, 255);
      expect(['ok', 'CORRUPT_FILE', 'CHECKSUM_MISMATCH', 'BAD_CONFIG', 'BAD_WEIGHTS', 'LIMIT_EXCEEDED', 'UNSUPPORTED_FEATURE', 'UNSUPPORTED_FORMAT']).toContain(await outcome(bytes));
    }
  });

  it('random bytes flipped inside model.weights.h5, re-zipped with valid CRCs (the HDF5 reader sees them)', async () => {
    const zip = openZip(ORIGINAL);
    const entries = Object.fromEntries(zip.entries.map((e) => [e.name, zip.read(e)]));
    const h5 = entries['model.weights.h5'];
    const rng = new Rng(13);
    const codes = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const mutated = h5.slice();
      for (let k = rng.int(1, 8); k > 0; k--) mutated[rng.int(0, mutated.length - 1)] ^= rng.int(1, 255);
      codes.add(await outcome(zipSync({ ...entries, 'model.weights.h5': mutated }, { level: 0 })));
    }
    // Most flips land in unused bytes or data values; some must have hit structure.
    expect(codes.has('ok')).toBe(true);
    expect(codes.size).toBeGreaterThan(1);
  });
});
