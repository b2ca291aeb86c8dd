/**
 * `.keras` files without `vars@name` attributes, written by real tf.keras 2.13 and Keras 3.0.1
 * (test/data/keras-walk/make_walk_data.py): weights are matched to layers only by replaying
 * Keras's walk, and the outputs must match Keras's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHdf5 } from '../../src/formats/hdf5.js';
import { readNpy } from '../../src/formats/npy.js';
import { openZip } from '../../src/formats/zip.js';
import { toFloat32 } from '../../src/tensor.js';
import { readKerasArchive, readKerasDirectory } from '../../src/keras/read/v3-archive.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { ROOT } from '../helpers/paths.js';

const DATA = join(ROOT, 'test', 'data', 'keras-walk');
const read = (env: string, f: string) => new Uint8Array(readFileSync(join(DATA, env, f)));

/** Paths of all groups of the archive's weights file, and whether any vars group has a name. */
async function weightsLayout(archive: Uint8Array) {
  const h5 = await openHdf5(openZip(archive).read('model.weights.h5'));
  try {
    const groups: string[] = [];
    let named = false;
    const visit = (path: string) => {
      for (const k of h5.keys(path)) {
        const p = `${path === '/' ? '' : path}/${k}`;
        if (!h5.isGroup(p)) continue;
        if (k === 'vars') named ||= h5.hasAttr(p, 'name');
        else groups.push(p);
        visit(p);
      }
    };
    visit('/');
    return { groups, named };
  } finally {
    h5.close();
  }
}

describe.each([
  ['tf2.13', '2.13.1'],
  ['keras3.0', '3.0.1'],
])('%s .keras files (weights matched by replaying the walk)', (env, version) => {
  for (const model of ['seq', 'nested']) {
    it(`${model}: loads and matches Keras ${version}`, async () => {
      const archive = read(env, `${model}.keras`);
      const graph = await readKerasArchive(archive, { filename: `${env}/${model}.keras` });
      expect(graph.provenance.kerasVersion).toBe(version);
      expect(graph.provenance.warnings.filter((w) => w.includes('no layer of the config uses'))).toEqual([]);
      const [y] = runGraph(graph, [readNpy(read(env, `${model}-input.npy`))]);
      const expected = readNpy(read(env, `${model}-expected.npy`));
      expect(y.shape).toEqual(expected.shape);
      const r = compareArrays(toFloat32(y), toFloat32(expected), TOLERANCES.close);
      expect(r.pass, r.message).toBe(true);
    });
  }

  it('exercises the layout this test is about', async () => {
    const { groups, named } = await weightsLayout(read(env, 'seq.keras'));
    expect(named).toBe(false);
    if (env === 'tf2.13') {
      // Each weighted layer listed twice: the second Conv1D is conv1d_2, the third conv1d_4.
      expect(groups).toEqual(expect.arrayContaining(['/_layer_checkpoint_dependencies/conv1d_2', '/_layer_checkpoint_dependencies/conv1d_4']));
      expect(groups).not.toContain('/_layer_checkpoint_dependencies/conv1d_1');
    } else {
      expect(groups).toEqual(expect.arrayContaining(['/layers/conv1d_1', '/layers/conv1d_2']));
      const graph = await readKerasArchive(read(env, 'seq.keras'));
      expect(graph.provenance.warnings.join(' ')).toMatch(/Keras 3\.0\.0\/3\.0\.1/);
    }
  });
});

describe('unzipped saves (Keras 3.15 zipped=False: the same files in a directory)', () => {
  it('reads the files given by name, like the archive', async () => {
    const zip = openZip(read('keras3.0', 'seq.keras'));
    const files = Object.fromEntries(zip.entries.map((e) => [e.name, zip.read(e)]));
    const graph = await readKerasDirectory(files, { filename: 'seq/' });
    const [y] = runGraph(graph, [readNpy(read('keras3.0', 'seq-input.npy'))]);
    const r = compareArrays(toFloat32(y), toFloat32(readNpy(read('keras3.0', 'seq-expected.npy'))), TOLERANCES.close);
    expect(r.pass, r.message).toBe(true);
    const { 'config.json': _dropped, ...rest } = files;
    await expect(readKerasDirectory(rest)).rejects.toThrow(/unzipped Keras save holding the model config 'config\.json'/);
  });
});
