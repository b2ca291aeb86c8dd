/**
 * The API as a JavaScript (and tfjs) user reaches for it: predict's inputs and errors, outputs
 * typed and named, save with no options, the tfjs interop helpers, random and JSON tensors, and
 * loadFromUrl. Numbers are held to the example's Keras output (examples/conv1d-classifier).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer } from '../../scripts/static-server.mjs';
import {
  compareArrays,
  fromTfjs,
  load,
  loadFromUrl,
  randomInputs,
  readNpy,
  save,
  tensorFromJson,
  tensorToJson,
  toTfjs,
  TOLERANCES,
  type Float32Tensor,
  type Model,
  type Tensor,
} from '../../src/index.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';

const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');
const bytes = (path: string) => new Uint8Array(readFileSync(path));
let model: Model;
let x: Tensor;
let expected: Tensor;

beforeAll(async () => {
  tf.env().set('PROD', true); // no tfjs banner in the test log
  model = await load(bytes(join(EXAMPLE, 'model.h5')), { filename: 'model.h5' });
  x = readNpy(bytes(join(EXAMPLE, 'input.npy')));
  expected = readNpy(bytes(join(EXAMPLE, 'expected.npy')));
});

function expectKeras(y: Float32Tensor): void {
  expect(y.shape).toEqual(expected.shape);
  const c = compareArrays(y.data, expected.data as Float32Array, TOLERANCES.close);
  expect(c.message ?? '').toBe('');
}

describe('predict', () => {
  it('returns float32 tensors, typed as such', async () => {
    const [y] = await model.predict(x);
    const data: Float32Array = y.data; // compiles only because outputs are typed Float32Array
    expect(data).toBeInstanceOf(Float32Array);
    expect(y.dtype).toBe('float32');
    expectKeras(y);
  });

  it('takes {shape, data} without a dtype, and plain number arrays', async () => {
    const [a] = await model.predict({ shape: x.shape, data: x.data as Float32Array });
    expectKeras(a);
    const [b] = await model.predict({ shape: x.shape, data: Array.from(x.data as Float32Array) });
    expectKeras(b);
  });

  it('a tfjs Tensor is BAD_INPUT with the line that turns it into values', async () => {
    const t = tf.tensor(x.data as Float32Array, x.shape);
    const err = await model.predict(t as never).catch((e) => e);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toContain("input 0 ('input_1') is a tfjs Tensor");
    expect(err.message).toContain('{dtype: t.dtype, shape: t.shape, data: await t.data()}');
    t.dispose();
  });

  it('too few values is BAD_INPUT naming the input, the shape and both counts', async () => {
    const err = await model.predict({ shape: x.shape, data: new Float32Array(10) }).catch((e) => e);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toBe("input 0 ('input_1') has shape [3, 32, 3], which needs 288 values; its data has 10");
    const notData = await model.predict({ shape: [1], data: 'abc' } as never).catch((e) => e);
    expect(notData.code).toBe('BAD_INPUT');
  });

  it('predictNamed gives the outputs by name, as onnxruntime does', async () => {
    const out = await model.predictNamed({ input_1: x });
    expect(Object.keys(out)).toEqual(model.outputNames);
    expectKeras(out[model.outputNames[0]]);
  });
});

describe('tfjs interop', () => {
  it('fromTfjs feeds a tfjs tensor to predict, toTfjs hands the output back', async () => {
    const t = tf.tensor(x.data as Float32Array, x.shape);
    const [y] = await model.predict(await fromTfjs(t));
    expectKeras(y);
    const yt = toTfjs(tf, y);
    expect(yt.shape).toEqual(expected.shape);
    expect(compareArrays(await yt.data(), expected.data as Float32Array, TOLERANCES.close).pass).toBe(true);
    t.dispose();
    yt.dispose();
  });
});

describe('save', () => {
  it('with no options writes a .keras archive that loads back to the same numbers', async () => {
    const written = await save(model);
    expect(Array.from(written.subarray(0, 2))).toEqual([0x50, 0x4b]); // a zip: the .keras archive
    const again = await load(written, { filename: 'model.keras' });
    expectKeras((await again.predict(x))[0]);
  });
});

describe('model.toJSON', () => {
  it('gives the architecture that, with the weights alone, loads back to the same numbers', async () => {
    const weights = await save(model, { format: 'keras-v3-weights' });
    const arch = model.toJSON();
    expect(JSON.parse(JSON.stringify(model))).toEqual(arch); // JSON.stringify(model) is the same document
    expect(arch).toMatchObject({ class_name: 'Sequential' });
    const again = await load(weights, { architecture: arch });
    expectKeras((await again.predict(x))[0]);
    expect(model.toJSON({ targetVersion: '2.15' })).toMatchObject({ keras_version: '2.15.0', backend: 'tensorflow' });
  });
});

describe('random and JSON tensors', () => {
  it('randomInputs gives an Embedding input integers inside its vocabulary', async () => {
    const emb = await load(bytes(join(FIXTURES, 'cases', 'tf2.15', 'model-embedding--h5', 'model.h5')));
    const [t] = randomInputs(emb, { batch: 4 });
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([4, 20]);
    const values = Array.from(t.data as Int32Array);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(49);
    expect(new Set(values).size).toBeGreaterThan(20); // spread over the vocabulary, not one index
    expect((await emb.predict(t))[0].shape).toEqual([4, 3]);
  });

  it('tensorToJson and tensorFromJson round-trip', () => {
    const back = tensorFromJson(tensorToJson(x));
    expect(back.shape).toEqual(x.shape);
    expect(Array.from(back.data as Float32Array)).toEqual(Array.from(x.data as Float32Array));
  });
});

describe('loadFromUrl', () => {
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await startStaticServer(ROOT);
  });
  afterAll(async () => server?.close());

  it('fetches and loads a model, naming the file after the URL', async () => {
    const m = await loadFromUrl(`${server.url}/examples/conv1d-classifier/model.h5`);
    expect(m.filename).toBe('model.h5');
    expectKeras((await m.predict(x))[0]);
  });

  it('an HTTP error is IO_ERROR with the status', async () => {
    const err = await loadFromUrl(`${server.url}/examples/no-such-model.h5`).catch((e) => e);
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toMatch(/no-such-model\.h5': HTTP 404/);
  });
});
