/**
 * Bad legacy .h5 input gives a KconvError with a code and the path inside the file: truncated or
 * corrupted HDF5, a model_config that is not JSON, weights contradicting the config, weights
 * missing or left over when joining a weights file with an architecture.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { loadWeightsInto, readKerasH5, readKerasH5File } from '../../src/keras/read/h5.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';
import { buildHdf5 } from '../helpers/hdf5.js';


async function rejection(p: Promise<unknown>): Promise<KconvError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KconvError);
  return e as KconvError;
}

const modelConfig = (filters: number) =>
  JSON.stringify({
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 10, 2], dtype: 'float32', name: 'input_1' } },
        { class_name: 'Conv1D', config: { name: 'conv1d', filters, kernel_size: [3], strides: [1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1], groups: 1, activation: 'linear', use_bias: true } },
      ],
    },
  });

/** A tf.keras-style model file whose conv1d kernel is (3, 2, 4) and bias (4,). */
function legacyModel(config: string, { kernelShape = [3, 2, 4] } = {}): Promise<Uint8Array> {
  return buildHdf5((f) => {
    f.create_attribute('keras_version', '2.15.0', null, 'S');
    f.create_attribute('backend', 'tensorflow', null, 'S');
    f.create_attribute('model_config', config, null, 'A');
    const mw = f.create_group('model_weights');
    mw.create_attribute('layer_names', ['conv1d'], [1], 'A');
    const g = mw.create_group('conv1d');
    g.create_attribute('weight_names', ['conv1d/kernel:0', 'conv1d/bias:0'], [2], 'A');
    g.create_group('conv1d');
    const n = kernelShape.reduce((a, b) => a * b, 1);
    f.create_dataset({ name: 'model_weights/conv1d/conv1d/kernel:0', data: new Float32Array(n), shape: kernelShape, dtype: '<f4' });
    f.create_dataset({ name: 'model_weights/conv1d/conv1d/bias:0', data: new Float32Array(4), shape: [4], dtype: '<f4' });
  });
}

describe('errors reading legacy .h5', () => {
  it('a well-formed synthetic file loads (the baseline for the cases below)', async () => {
    const g = await readKerasH5(await legacyModel(modelConfig(4)));
    expect(g.nodes.map((n) => n.op)).toEqual(['Input', 'Conv1D']);
  });

  it('model_config that is not JSON → BAD_CONFIG at /@model_config', async () => {
    const e = await rejection(readKerasH5(await legacyModel('{"class_name": "Sequential", "config": [')));
    expect(e.code).toBe('BAD_CONFIG');
    expect(e.where).toBe('/@model_config');
  });

  it('a weight whose shape contradicts the config → BAD_WEIGHTS at the dataset path', async () => {
    const e = await rejection(readKerasH5(await legacyModel(modelConfig(4), { kernelShape: [3, 2, 5] })));
    expect(e.code).toBe('BAD_WEIGHTS');
    expect(e.where).toBe('/model_weights/conv1d/conv1d/kernel:0');
    expect(e.message).toMatch(/\[3, 2, 4\].*\[3, 2, 5\]/);
  });

  it('truncated files → CORRUPT_FILE, whatever the cut', async () => {
    const bytes = await legacyModel(modelConfig(4));
    for (const cut of [16, 200, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const e = await rejection(readKerasH5File(bytes.subarray(0, cut), { filename: 'cut.h5' }));
      expect(e.code).toBe('CORRUPT_FILE');
      expect(e.where).toBe('/');
      expect(e.file).toBe('cut.h5');
    }
  });

  it('bytes that are not HDF5 → UNSUPPORTED_FORMAT', async () => {
    const e = await rejection(readKerasH5(new TextEncoder().encode(modelConfig(4))));
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
  });

  it('an HDF5 file that is not a Keras file → UNSUPPORTED_FORMAT naming what it found', async () => {
    const bytes = await buildHdf5((f) => f.create_group('something'));
    const e = await rejection(readKerasH5(bytes));
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.message).toContain('something');
  });

  it('weights-only file read as a model → a clear error pointing to loadWeightsInto', async () => {
    const weights = await buildHdf5((f) => {
      f.create_attribute('layer_names', ['dropout'], [1], 'A10');
      f.create_group('dropout').create_attribute('weight_names', new Float64Array(0), [0], '<d');
    });
    const e = await rejection(readKerasH5(weights));
    expect(e.message).toMatch(/weights only/);
  });

  describe.runIf(corpusAvailable())('on real files', () => {
    const read = (rel: string) => new Uint8Array(readFileSync(join(CORPUS, 'wild', rel)));

    it('a corrupted real file (bytes overwritten inside its metadata) is a KconvError, not a crash', async () => {
      const bytes = read('ecg-keras3.13-legacy-h5/ecg_model.h5');
      let kconvErrors = 0;
      for (const offset of [96, 800, 1400, 2000, 4000]) {
        const damaged = Uint8Array.from(bytes);
        for (let i = offset; i < offset + 64; i++) damaged[i] ^= 0xa5;
        const result = await readKerasH5File(damaged).then(
          () => 'loaded',
          (e: unknown) => e,
        );
        if (result !== 'loaded') {
          expect(result).toBeInstanceOf(KconvError);
          kconvErrors++;
        }
      }
      expect(kconvErrors).toBeGreaterThan(0);
    });

    it('joining weights with the wrong architecture → BAD_WEIGHTS naming the layer left over or missing', async () => {
      const weights = read('deeplift-keras2.1.6-weights-only/keras2_conv1d_record_5_model_PQzyq_modelWeights.h5');
      const arch = JSON.parse(readFileSync(join(CORPUS, 'wild', 'deeplift-keras2.1.6-weights-only/keras2_conv1d_record_5_model_PQzyq_modelJson.json'), 'utf8'));
      const renamed = JSON.parse(JSON.stringify(arch));
      renamed.config[0].config.name = 'conv1d_renamed';
      const e = await rejection(loadWeightsInto(renamed, weights));
      expect(e.code).toBe('BAD_WEIGHTS');
      const dropped = JSON.parse(JSON.stringify(arch));
      dropped.config = dropped.config.filter((l: { config: { name: string } }) => l.config.name !== 'dense_2');
      const extra = await rejection(loadWeightsInto(dropped, weights));
      expect(extra.code).toBe('BAD_WEIGHTS');
      expect(extra.message).toContain('dense_2');
      expect(extra.where).toMatch(/^\/dense_2\//);
    });
  });
});
