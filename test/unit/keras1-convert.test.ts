/**
 * Keras 1 → Keras 2/3: constructor arguments Keras 1 spelled differently survive the conversion
 * (issue 15: Dropout(p) was written as rate 0). Sources are real Keras 1.2.2 files
 * (fixtures/cases/keras1.2-tf, gen_keras1.py); the values are the ones the models were built with.
 */
import { describe, expect, it } from 'vitest';
import { emitModel } from '../../src/keras/emit/model.js';
import { readKerasH5 } from '../../src/keras/read/h5.js';
import { parseTarget } from '../../src/keras/targets.js';
import { goldenCases } from '../helpers/cases.js';

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

async function convertedLayers(id: string, target: string): Promise<LayerJson[]> {
  const c = goldenCases('h5').find((x) => x.entry.env === 'keras1.2-tf' && x.entry.id === id);
  if (!c) throw new Error(`missing fixture keras1.2-tf/${id}`);
  const graph = await readKerasH5(c.bytes(c.json.files.model!), { filename: id });
  const t = parseTarget(target);
  const config = emitModel(graph, t, t.family === 'keras3' ? 'saving_lib' : 'legacy').config as unknown as { config: { layers: LayerJson[] } };
  return config.config.layers;
}

const rates = (layers: LayerJson[], className: string, key: string) => layers.filter((l) => l.class_name === className).map((l) => l.config[key]);

describe('Keras 1 → 2/3 keeps Dropout p, SpatialDropout1D p and GaussianNoise sigma', () => {
  for (const target of ['keras-2.2.4', 'tf-keras-2.15', 'keras-3']) {
    it(`to ${target}`, async () => {
      const seq = await convertedLayers('k1-model-dropout-dense--h5', target);
      expect(rates(seq, 'Dropout', 'rate')).toEqual([0.4, 0.2]);
      const func = await convertedLayers('k1-model-func-bn-dropout--h5', target);
      expect(rates(func, 'Dropout', 'rate')).toEqual([0.3]);
      expect(rates(func, 'SpatialDropout1D', 'rate')).toEqual([0.2]);
      expect(rates(func, 'GaussianNoise', 'stddev')).toEqual([0.5]);
      for (const l of [...seq, ...func]) expect(l.config).not.toHaveProperty('p');
    });
  }
});
