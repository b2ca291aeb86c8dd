/**
 * `.keras` archives saved by Keras 3 on Windows name their weight groups by OS path
 * (`layers\conv1d/vars/0`, keras-team/keras#18528). test/data/keras3/windows-paths.keras is a
 * real Keras 3.15 archive with its groups renamed that way (make_windows_keras.py); it must load
 * and match what Keras computed for the same model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/formats/npy.js';
import { toFloat32 } from '../../src/tensor.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { ROOT } from '../helpers/paths.js';

const DATA = join(ROOT, 'test', 'data', 'keras3');
const read = (f: string) => new Uint8Array(readFileSync(join(DATA, f)));

describe('.keras saved on Windows (backslash group names)', () => {
  it('loads every weight and matches Keras', async () => {
    const graph = await readKerasArchive(read('windows-paths.keras'), { filename: 'windows-paths.keras' });
    const [y] = runGraph(graph, [readNpy(read('input.npy'))]);
    const r = compareArrays(toFloat32(y), toFloat32(readNpy(read('expected.npy'))), TOLERANCES.close);
    expect(r.pass, r.message).toBe(true);
  });
});
