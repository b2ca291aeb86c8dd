/**
 * A model whose file records no input length, while a Dense after a Flatten fixes it: kconv reads
 * the length from the weights (and says so), so a conversion writes the length Keras needs; when
 * no length fits the weights, Keras files are refused with NOT_REPRESENTABLE instead of being
 * written half right. The source is the example (real Keras 2.15) with its input length erased,
 * carried in a .kir (which can hold an open length); its numbers are Keras's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareArrays, load, loadFile, readNpy, save, TOLERANCES, type Model } from '../../src/node.js';
import { lengthlessExample } from '../helpers/lengthless.js';
import { ROOT } from '../helpers/paths.js';

const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');

describe('an input length the file does not record', () => {
  let model: Model;
  beforeAll(async () => {
    model = await load(await lengthlessExample(), { filename: 'lengthless.kir' });
  });

  it('is read from the weights of the Dense after Flatten, with a warning', () => {
    expect(model.inspect().inputs[0].shape).toEqual([null, 32, 3]);
    expect(model.inspect().warnings).toContain("input 'input_1' records no length; 32 steps read from the weights of 'dense' (the only length its input features fit)");
  });

  it("runs to Keras's numbers and converts with the length Keras needs", async () => {
    const [y] = await model.predict(readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'input.npy')))));
    const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    expect(compareArrays(y.data, expected.data as Float32Array, TOLERANCES.close).pass).toBe(true);
    const keras = await save(model);
    const config = JSON.parse(strFromU8(unzipSync(keras)['config.json']));
    expect(config.config.layers[0].config.batch_shape).toEqual([null, 32, 3]);
  });

  it('when no length fits the weights, Keras files are refused and the model still loads', async () => {
    const odd = await load(await lengthlessExample(65), { filename: 'odd.kir' });
    expect(odd.inspect().inputs[0].shape).toEqual([null, null, 3]);
    for (const format of ['keras-v3', 'keras-h5', 'keras-v3-weights'] as const) {
      const err = await save(odd, { format }).catch((e) => e);
      expect(err.code, format).toBe('NOT_REPRESENTABLE');
      expect(err.message).toBe(
        "input 'input_1' records no length, and no length gives layer 'dense' the 65 input features its weights hold: Keras could not build the model from the file, so none is written",
      );
    }
    // .kir holds open lengths: that conversion is still fine
    expect((await save(odd, { format: 'kir' })).length).toBeGreaterThan(0);
  });

  it('a model that takes any length is left open', async () => {
    const tcn = await loadFile(join(ROOT, 'fixtures', 'cases', 'tf2.15', 'model-tcn--h5', 'model.h5'));
    expect(tcn.inspect().inputs[0].shape).toEqual([null, null, 3]);
    expect(tcn.inspect().warnings.filter((w) => w.includes('records no length'))).toEqual([]);
  });
});
