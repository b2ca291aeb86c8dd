/**
 * The TF-op table (src/keras/layers/tf-op.ts), the call parser (src/keras/node-calls.ts) and the
 * kernels (src/runtime/kernels/tf-ops.ts) against real tf.keras: model-tfop-math and
 * model-tfop-shape are functional models made of tf.* calls only (TFOpLambda / SlicingOpLambda),
 * saved by tf.keras 2.13, 2.15 and tf_keras 2.21 as .h5 and .keras. The test walks the saved
 * config itself, so every op, argument form and constant comes from the file.
 */
import { describe, expect, it } from 'vitest';
import { openHdf5 } from '../../src/formats/hdf5.js';
import { openZip } from '../../src/formats/zip.js';
import { float32, type Tensor } from '../../src/tensor.js';
import { tfOpFromCall } from '../../src/keras/layers/tf-op.js';
import { callTensors, parseNodeCall, type TensorRef } from '../../src/keras/node-calls.js';
import { getItem, runTfOp, type NdArray } from '../../src/runtime/kernels/tf-ops.js';
import { compareWithKeras, goldenCases, type GoldenCase } from '../helpers/cases.js';
import { caught } from '../helpers/errors.js';

type LayerJson = { class_name: string; name?: string; config: Record<string, unknown>; inbound_nodes: unknown[] };

async function modelConfig(c: GoldenCase): Promise<{ layers: LayerJson[]; input_layers: TensorRef[]; output_layers: TensorRef[] }> {
  const bytes = c.bytes(c.json.files.model!);
  if (c.json.format === 'h5') {
    const h5 = await openHdf5(bytes, c.json.files.model);
    const cfg = JSON.parse(h5.stringAttr('/', 'model_config')!);
    h5.close();
    return cfg.config;
  }
  return JSON.parse(new TextDecoder().decode(openZip(bytes).read('config.json'))).config;
}

/** Runs a model made of Input + TFOpLambda/SlicingOpLambda layers with kconv's table and kernels. */
function evaluate(cfg: Awaited<ReturnType<typeof modelConfig>>, inputs: Tensor[]): NdArray[] {
  const values = new Map<string, NdArray>();
  cfg.input_layers.forEach((ref, i) => values.set(`${ref[0]}|0|0`, { shape: inputs[i].shape, data: inputs[i].data as Float32Array }));
  const pending = cfg.layers.filter((l) => l.class_name !== 'InputLayer');
  while (pending.length) {
    const i = pending.findIndex((l) => callTensors(parseNodeCall(l.inbound_nodes[0], l.config.name as string)).every((r) => values.has(r.join('|'))));
    expect(i).toBeGreaterThanOrEqual(0);
    const [l] = pending.splice(i, 1);
    expect(['TFOpLambda', 'SlicingOpLambda']).toContain(l.class_name);
    const where = `layer ${l.config.name}`;
    const op = tfOpFromCall(l.config.function as string, parseNodeCall(l.inbound_nodes[0], where), where);
    values.set(`${l.config.name}|0|0`, runTfOp(op.spec, op.inputs.map((r) => values.get(r.join('|'))!), where));
  }
  return cfg.output_layers.map((r) => values.get(r.join('|'))!);
}

describe('TF-op layers (TFOpLambda, SlicingOpLambda) vs real tf.keras', () => {
  const cases = goldenCases().filter((c) => (c.json.baseId === 'model-tfop-math' || c.json.baseId === 'model-tfop-shape') && c.json.files.model);
  it('has cases from tf.keras 2.13, 2.15 and tf_keras 2.21, in .h5 and .keras', () => {
    expect(new Set(cases.map((c) => c.json.env))).toEqual(new Set(['tf2.13', 'tf2.15', 'tfkeras']));
    expect(new Set(cases.map((c) => c.json.format))).toEqual(new Set(['h5', 'keras2-keras']));
  });
  for (const c of cases) {
    it(`${c.json.env} ${c.json.id}`, async () => {
      const out = evaluate(await modelConfig(c), c.inputs());
      const r = compareWithKeras(
        c,
        out.map((o) => float32(o.shape, o.data)),
      );
      expect(r.message ?? '').toBe('');
      expect(r.pass).toBe(true);
    });
  }
});

describe('TF call arguments', () => {
  it('reads every inbound-node form: list, unwrapped, constant first, Keras 3 args/kwargs', () => {
    expect(parseNodeCall([['a', 0, 0, { axis: 1 }], ['b', 0, 0, { axis: 1 }]], 'w')).toEqual({ args: [[{ tensor: ['a', 0, 0] }, { tensor: ['b', 0, 0] }]], kwargs: { axis: 1 } });
    expect(parseNodeCall(['a', 0, 0, { y: ['b', 1, 0], name: null }], 'w')).toEqual({ args: [{ tensor: ['a', 0, 0] }], kwargs: { y: { tensor: ['b', 1, 0] }, name: null } });
    expect(parseNodeCall(['_CONSTANT_VALUE', -1, 0.5, { y: ['t', 0, 0] }], 'w')).toEqual({ args: [0.5], kwargs: { y: { tensor: ['t', 0, 0] } } });
    const k3 = { args: [{ class_name: '__keras_tensor__', config: { shape: [null, 3], dtype: 'float32', keras_history: ['q', 0, 0] } }], kwargs: { use_causal_mask: true } };
    expect(parseNodeCall(k3, 'w')).toEqual({ args: [{ tensor: ['q', 0, 0] }], kwargs: { use_causal_mask: true } });
  });
  it('refuses an op it does not run, naming it, and an argument it does not model', () => {
    const e = caught(() => tfOpFromCall('signal.stft', parseNodeCall(['a', 0, 0, {}], 'w'), 'layer tf.signal.stft'));
    expect(e.code).toBe('UNSUPPORTED_LAYER');
    expect(e.message).toMatch(/tf\.signal\.stft/);
    expect(caught(() => tfOpFromCall('math.reduce_sum', parseNodeCall(['a', 0, 0, { reduction_indices: 1 }], 'w'), 'w')).code).toBe('UNSUPPORTED_FEATURE');
    expect(caught(() => tfOpFromCall('cast', parseNodeCall(['a', 0, 0, { dtype: 'string' }], 'w'), 'w')).code).toBe('UNSUPPORTED_FEATURE');
  });
  it('slices like Python: negative steps, out-of-range bounds, new axes', () => {
    const x: NdArray = { shape: [1, 5], data: Float32Array.from([0, 1, 2, 3, 4]) };
    const all = { start: null, stop: null, step: null };
    expect([...getItem(x, [all, { start: null, stop: null, step: -2 }]).data]).toEqual([4, 2, 0]);
    expect([...getItem(x, [all, { start: -2, stop: 99, step: null }]).data]).toEqual([3, 4]);
    expect([...getItem(x, [all, { start: 3, stop: 1, step: null }]).data]).toEqual([]);
    expect(getItem(x, [all, { newAxis: true }, { index: -1 }]).shape).toEqual([1, 1]);
  });
});

describe('a TF op kconv does not run', () => {
  it('loads, and running names it (UNSUPPORTED_LAYER)', async () => {
    const { strToU8, unzipSync, zipSync } = await import('fflate');
    const { load } = await import('../../src/index.js');
    const c = goldenCases('keras2-keras').find((x) => x.json.env === 'tf2.15' && x.json.baseId === 'model-tfop-math')!;
    const files = unzipSync(c.bytes(c.json.files.model!));
    const cfg = JSON.parse(new TextDecoder().decode(files['config.json']));
    const layer = cfg.config.layers.find((l: { config: { function?: string } }) => l.config.function === 'math.tanh');
    layer.config.function = 'signal.stft';
    files['config.json'] = strToU8(JSON.stringify(cfg));
    const m = await load(zipSync(files), { filename: 'stft.keras' });
    expect(m.inspect().unsupported.map((u) => u.className)).toContain('tf.signal.stft');
    const e = await m.predict(c.inputs()).catch((x) => x);
    expect(e.code).toBe('UNSUPPORTED_LAYER');
    expect(e.message).toMatch(/tf\.signal\.stft/);
  });
});
