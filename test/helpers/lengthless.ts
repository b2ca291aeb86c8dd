/** Test sources for input lengths a file does not record (test/unit/input-length.test.ts). */
import { join } from 'node:path';
import { loadFile, save } from '../../src/node.js';
import { ROOT } from './paths.js';

const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');

/** The example as a .kir whose input is (None, None, 3); `denseFeatures` rewrites the Dense to another feature count. */
export async function lengthlessExample(denseFeatures?: number): Promise<Uint8Array> {
  const m = await loadFile(join(EXAMPLE, 'model.h5'));
  const g = m.graph;
  for (const n of g.nodes) if (n.op === 'Input') n.attrs.shape = [null, ...n.attrs.shape.slice(1)];
  if (denseFeatures !== undefined) {
    const dense = g.nodes.find((n) => n.op === 'Dense')!;
    if (dense.op !== 'Dense') throw new Error('no Dense');
    const key = dense.weights.kernel;
    const units = dense.attrs.units;
    g.weights.set(key, { dtype: 'float32', shape: [denseFeatures, units], data: new Float32Array(denseFeatures * units) });
    dense.attrs.inFeatures = denseFeatures;
  }
  return save(g, { format: 'kir' });
}

