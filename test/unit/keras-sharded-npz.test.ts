/**
 * Keras v3 weight variants written by real Keras 3.15 (test/data/keras3/make_keras3_data.py):
 * sharded `.weights.json` + shards, Keras's own (pickled) `.npz` archive, and a plain-array `.npz`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { readNpy } from '../../src/formats/npy.js';
import type { Graph } from '../../src/ir/graph.js';
import { toFloat32 } from '../../src/tensor.js';
import { readKerasArchive, readKerasShardedWeights, readKerasWeightsH5 } from '../../src/keras/read/v3-archive.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { ROOT } from '../helpers/paths.js';

const DATA = join(ROOT, 'test', 'data', 'keras3');
const read = (f: string) => new Uint8Array(readFileSync(join(DATA, f)));
const SHARDS = ['sharded_00000.weights.h5', 'sharded_00001.weights.h5', 'sharded_00002.weights.h5'];

function expectMatchesKeras(graph: Graph) {
  const [y] = runGraph(graph, [readNpy(read('input.npy'))]);
  const expected = readNpy(read('expected.npy'));
  expect(y.shape).toEqual(expected.shape);
  const r = compareArrays(toFloat32(y), toFloat32(expected), TOLERANCES.close);
  expect(r.pass, r.message).toBe(true);
}

async function expectKconvError(p: Promise<unknown>, code: string, pattern: RegExp) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KconvError);
  expect((e as KconvError).code).toBe(code);
  expect((e as KconvError).message).toMatch(pattern);
}

describe('sharded weights (.weights.json, Keras >= 3.10)', () => {
  it('loads three shards, one layer split over two of them, and matches Keras', async () => {
    const index = JSON.parse(new TextDecoder().decode(read('sharded.weights.json')));
    expect(index.weight_map['/layers/conv1d/vars']).toHaveLength(2);
    const shards = Object.fromEntries(SHARDS.map((s) => [s, read(s)]));
    const graph = await readKerasShardedWeights(read('sharded.weights.json'), shards, read('model.json'), { filename: 'sharded.weights.json' });
    expect(graph.provenance.format).toBe('keras-v3-sharded-weights');
    expect(graph.weights.size).toBe(10);
    expectMatchesKeras(graph);
  });

  it('names a shard the index needs but was not given', async () => {
    const shards = { [SHARDS[0]]: read(SHARDS[0]), [SHARDS[2]]: read(SHARDS[2]) };
    await expectKconvError(readKerasShardedWeights(read('sharded.weights.json'), shards, read('model.json')), 'IO_ERROR', /sharded_00001\.weights\.h5/);
  });

  it('refuses one shard read as a whole .weights.h5 (its layer is incomplete)', async () => {
    await expectKconvError(readKerasWeightsH5(read(SHARDS[1]), read('model.json')), 'CORRUPT_FILE', /expected variables named 0\.\.0, found 1/);
  });
});

describe('.npz weights inside a .keras archive', () => {
  it("refuses Keras's own npz (pickled dicts), never unpickling", async () => {
    await expectKconvError(readKerasArchive(read('keras-npz.keras')), 'UNSUPPORTED_FEATURE', /pickled Python objects/);
  });

  it('reads plain numeric arrays named by variable path, and matches Keras', async () => {
    const graph = await readKerasArchive(read('plain-npz.keras'), { filename: 'plain-npz.keras' });
    expect(graph.provenance.kerasVersion).toBe('3.15.1');
    expectMatchesKeras(graph);
  });
});
