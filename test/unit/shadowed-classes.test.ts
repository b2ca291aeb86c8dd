/**
 * A layer with Keras's class name but a custom module / registered name is run as the standard
 * layer, with a warning saying so. The file is a real Keras 3.15 golden case whose config.json is
 * edited to claim a custom Dense.
 */
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { load } from '../../src/index.js';
import { shadowedClassWarning } from '../../src/keras/shadowed.js';
import { goldenCases } from '../helpers/cases.js';

describe('shadowed class names', () => {
  it("Keras's own modules and registered names are not warned about", () => {
    expect(shadowedClassWarning('d', 'Dense', 'keras.layers', null)).toBeNull();
    expect(shadowedClassWarning('i', 'InputLayer', 'keras.src.layers.core.input_layer', 'InputLayer')).toBeNull();
    expect(shadowedClassWarning('t', 'TFOpLambda', 'keras.src.layers.core.tf_op_layer', 'TFOpLambda')).toBeNull();
    expect(shadowedClassWarning('d', 'Dense', undefined, undefined)).toBeNull();
  });
  it('a custom module or registered name is warned about, naming both', () => {
    expect(shadowedClassWarning('d', 'Dense', 'my_pkg.layers', 'MyPkg>Dense')).toMatch(/layer 'd' .* 'Dense' .*module 'my_pkg.layers', registered name 'MyPkg>Dense'/);
  });
  it('a .keras file with a custom Dense loads, runs as the standard Dense and warns', async () => {
    const c = goldenCases('keras').find((x) => x.json.env === 'keras3' && x.json.baseId === 'model-seq-globalmax')!;
    const files = unzipSync(c.bytes(c.json.files.model!));
    const cfg = JSON.parse(new TextDecoder().decode(files['config.json']));
    const dense = cfg.config.layers.find((l: { class_name: string }) => l.class_name === 'Dense');
    dense.module = 'my_pkg.layers';
    dense.registered_name = 'Custom>Dense';
    files['config.json'] = strToU8(JSON.stringify(cfg));
    const m = await load(zipSync(files), { filename: 'shadowed.keras' });
    expect(m.inspect().warnings.some((w) => /is a custom class \(module 'my_pkg.layers', registered name 'Custom>Dense'\)/.test(w))).toBe(true);
    const [y] = await m.predict(c.inputs()[0]);
    expect(y.shape).toEqual(c.expected()[0].shape);
  });
});
