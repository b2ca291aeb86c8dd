/**
 * Weights-only files loaded without their architecture: every tensor is listed (layer, name,
 * shape, dtype) and readable by layer; running asks for the architecture. Legacy save_weights
 * .h5 (tf.keras 2.15 golden case), Keras 3 .weights.h5 (Keras 3.15 golden case) and the
 * subclassed DeepKme model from the shared corpus, whose architecture exists only as Python.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, load } from '../../src/index.js';
import { goldenCases } from '../helpers/cases.js';
import { caught } from '../helpers/errors.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';

const one = (env: string, format: string, baseId: string) => goldenCases(format).find((c) => c.json.env === env && c.json.baseId === baseId)!;

describe('weights-only files without an architecture', () => {
  it('legacy save_weights .h5: every weight_names entry, by layer, readable', async () => {
    const c = one('tf2.15', 'h5-weights', 'model-two-io');
    const m = await load(c.bytes(c.json.files.model!), { filename: 'weights.h5' });
    const r = m.inspect();
    expect(r.format).toBe('keras-h5-weights');
    expect(r.runnable).toBe(false);
    expect(r.layers).toEqual([]);
    expect(r.weightTensors!.length).toBe(r.weights.tensors);
    // no architecture: no claim about which Keras 3 would load a conversion
    expect(r.keras3).toBeUndefined();
    expect(formatReport(r)).not.toContain('Converts to Keras 3');
    // the same tensors the full model holds, by layer
    const full = await load(c.bytes(c.json.files.model!), { architecture: c.bytes(c.json.files.architecture!) });
    for (const layer of m.layerNames()) {
      const listed = Object.values(m.weights(layer));
      const mapped = Object.values(full.weights(layer));
      expect(listed.map((t) => t.shape.join('x')).sort()).toEqual(mapped.map((t) => t.shape.join('x')).sort());
    }
    const e = await m.predict([]).catch((x) => x);
    expect(e.code).toBe('USAGE');
    expect(e.message).toMatch(/holds weights only.*architecture/);
  });
  it('Keras 3 .weights.h5: variables listed under their layer', async () => {
    const c = one('keras3', 'weights-h5', 'model-two-io');
    const m = await load(c.bytes(c.json.files.model!), { filename: 'model.weights.h5' });
    const r = m.inspect();
    expect(r.format).toBe('keras-v3-weights'); // the one vocabulary's name, not kconv 0.1's 'keras-weights-h5'
    expect(r.weightTensors!.length).toBeGreaterThan(0);
    expect(r.weightTensors!.every((w) => /^vars\/\d+$/.test(w.name))).toBe(true);
    expect(caught(() => m.weights('no_such_layer')).code).toBe('USAGE');
  });
  it.runIf(corpusAvailable())('DeepKme (subclassed tf.keras 2.2.4-tf model): all 16 tensors of its three Sequentials', async () => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS, 'wild', 'deepkme-tfkeras-subclassed-weights', 'Km1_CSTCS_16501.hdf5')));
    const m = await load(bytes);
    expect(m.layerNames()).toEqual(['sequential', 'sequential_1', 'sequential_2']);
    const r = m.inspect();
    expect(r.weightTensors!.length).toBe(16);
    expect(r.weightTensors![0]).toEqual({ layer: 'sequential', name: 'model/sequential/conv1d/kernel:0', shape: [9, 21, 256], dtype: 'float32' });
    expect(m.weights('sequential_2')['model/sequential_2/dense_1/bias:0'].shape).toEqual([4]);
  });
});
