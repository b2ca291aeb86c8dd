/**
 * Config normalization per Keras generation. Configs come from real files of the shared corpus
 * (read at test time) where one exists; the Keras 3 dict-style Functional and nested-model
 * configs, which no corpus .h5 has, follow docs/keras-formats.md §4.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { openHdf5 } from '../../src/formats/hdf5.js';
import type { Node } from '../../src/ir/graph.js';
import { float32, type Tensor } from '../../src/tensor.js';
import { activationFromConfig } from '../../src/keras/activations.js';
import { generationOf } from '../../src/keras/generation.js';
import { readKerasH5 } from '../../src/keras/read/h5.js';
import { mapLayer } from '../../src/keras/layers/index.js';
import { graphFromKerasConfig, type LayerWeightSource } from '../../src/keras/model-config.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';

const ctx = (generation: 'keras1' | 'keras2' | 'tf-keras' | 'keras3', backend = 'tensorflow') => ({ generation, backend, where: 'test' });
const w = (name: string, shape: number[], start = 0) => ({ name, tensor: float32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => start + i)) });

function thrown(fn: () => unknown): KconvError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KconvError);
    return e as KconvError;
  }
  throw new Error('expected a KconvError');
}

describe('generation and per-version defaults', () => {
  it('derives the generation from keras_version', () => {
    expect(generationOf(undefined)).toBe('keras1');
    expect(generationOf('1.2.2')).toBe('keras1');
    expect(generationOf('2.1.3')).toBe('keras2');
    expect(generationOf('2.2.4-tf')).toBe('tf-keras');
    expect(generationOf('2.15.0')).toBe('tf-keras');
    expect(generationOf('3.13.2')).toBe('keras3');
  });

  it('hard_sigmoid has slope 0.2 before Keras 3 and 1/6 in Keras 3', () => {
    expect(activationFromConfig('hard_sigmoid', 'tf-keras', 'x')).toEqual({ fn: 'hard_sigmoid', alpha: 0.2 });
    expect(activationFromConfig('hard_sigmoid', 'keras3', 'x')).toEqual({ fn: 'hard_sigmoid', alpha: 1 / 6 });
  });

  it('refuses an unknown activation instead of running it as linear', () => {
    const e = thrown(() => mapLayer('Conv1D', { filters: 1, kernel_size: [1], activation: 'my_custom_act' }, [w('k', [1, 1, 1]), w('b', [1])], ctx('keras2')));
    expect(e.code).toBe('UNSUPPORTED_FEATURE');
    expect(e.message).toContain('my_custom_act');
  });

  it('reads a Keras 3 serialized activation function object', () => {
    expect(activationFromConfig({ module: 'keras.activations', class_name: 'function', config: 'relu', registered_name: 'relu' }, 'keras3', 'x')).toEqual({ fn: 'relu' });
  });

  it('LeakyReLU slope: `alpha` in Keras 2, `negative_slope` in Keras 3, 0.3 by default', () => {
    expect(mapLayer('LeakyReLU', { alpha: 0.1 }, [], ctx('tf-keras')).attrs).toEqual({ activation: { fn: 'leaky_relu', alpha: 0.1 } });
    expect(mapLayer('LeakyReLU', { negative_slope: 0.05 }, [], ctx('keras3')).attrs).toEqual({ activation: { fn: 'leaky_relu', alpha: 0.05 } });
    expect(mapLayer('LeakyReLU', {}, [], ctx('keras2')).attrs).toEqual({ activation: { fn: 'leaky_relu', alpha: 0.3 } });
  });

  it('Conv1D: missing data_format means channels_last, missing groups means 1, causal pads d*(k-1) before', () => {
    const m = mapLayer('Conv1D', { filters: 4, kernel_size: [3], strides: [1], padding: 'causal', dilation_rate: [2], activation: 'relu', use_bias: true }, [w('conv1d_1/kernel:0', [3, 2, 4]), w('conv1d_1/bias:0', [4])], ctx('keras2'));
    expect(m.op).toBe('Conv1D');
    expect(m.attrs).toMatchObject({ layout: 'NWC', groups: 1, inChannels: 2, padding: { kind: 'explicit', before: 4, after: 0 }, activation: { fn: 'relu' } });
  });

  it('Theano kernels are reversed along the time axis', () => {
    const kernel = w('k', [3, 1, 1], 10);
    const m = mapLayer('Conv1D', { filters: 1, kernel_size: [3], use_bias: false }, [kernel], ctx('keras2', 'theano'));
    expect(Array.from(m.weights.kernel.data as Float32Array)).toEqual([12, 11, 10]);
    expect(Array.from(kernel.tensor.data as Float32Array)).toEqual([10, 11, 12]); // input untouched
  });

  it('Keras 1 Convolution1D: renamed keys, 1.1 kernel (k, 1, in, f) and 1.0 kernel (f, in, k, 1) both become (k, in, f)', () => {
    const cfg = { nb_filter: 2, filter_length: 3, subsample_length: 1, border_mode: 'same', bias: true, activation: 'linear' };
    const k11 = mapLayer('Convolution1D', cfg, [w('c_W', [3, 1, 5, 2]), w('c_b', [2])], ctx('keras1'));
    expect(k11.weights.kernel.shape).toEqual([3, 5, 2]);
    expect(k11.attrs).toMatchObject({ filters: 2, kernelSize: 3, inChannels: 5, padding: { kind: 'same' } });
    // 1.0 layout: element (f, i, k, 0) must land at (k, i, f).
    const k10 = mapLayer('Convolution1D', cfg, [w('c_W', [2, 5, 3, 1]), w('c_b', [2])], ctx('keras1'));
    expect(k10.weights.kernel.shape).toEqual([3, 5, 2]);
    const f = 1, i = 4, k = 2;
    expect((k10.weights.kernel.data as Float32Array)[(k * 5 + i) * 2 + f]).toBe((f * 5 + i) * 3 + k);
  });

  it('a weight contradicting the config is BAD_WEIGHTS naming the weight', () => {
    const e = thrown(() => mapLayer('Conv1D', { filters: 4, kernel_size: [3] }, [{ ...w('conv1d/kernel:0', [3, 2, 5]), where: '/model_weights/conv1d/conv1d/kernel:0' }, w('conv1d/bias:0', [4])], ctx('tf-keras')));
    expect(e.code).toBe('BAD_WEIGHTS');
    expect(e.where).toBe('/model_weights/conv1d/conv1d/kernel:0');
    const missing = thrown(() => mapLayer('Dense', { units: 3 }, [w('dense/kernel:0', [2, 3])], ctx('tf-keras')));
    expect(missing.code).toBe('BAD_WEIGHTS');
    expect(missing.message).toMatch(/expected 2 weight/);
  });

  it('unknown classes become Unsupported nodes that keep their weights', () => {
    const m = mapLayer('RevCompConv1D', { filters: 2 }, [w('rc/kernel:0', [3, 4, 2])], ctx('keras2'));
    expect(m.op).toBe('Unsupported');
    expect(m.attrs).toMatchObject({ className: 'RevCompConv1D' });
    expect(m.weights['rc/kernel:0'].shape).toEqual([3, 4, 2]);
  });
});

/** A weight source over a plain map, keyed by scope/layer. */
function mapSource(weights: Record<string, { name: string; tensor: Tensor }[]>): LayerWeightSource {
  return { layerWeights: (name, scope) => weights[[...scope, name].join('/')] };
}

describe('model configs', () => {
  const conv = (name: string, extra: Record<string, unknown> = {}) => ({ class_name: 'Conv1D', config: { name, filters: 2, kernel_size: [1], ...extra } });
  const convWeights = (p: string) => [w(`${p}/kernel:0`, [1, 3, 2]), w(`${p}/bias:0`, [2])];

  it('Keras 3 Functional with dict-style inbound nodes and flat input/output triples', () => {
    const config = {
      class_name: 'Functional',
      config: {
        name: 'functional',
        layers: [
          { class_name: 'InputLayer', name: 'input_layer', config: { batch_shape: [null, 10, 3], dtype: 'float32', name: 'input_layer' }, inbound_nodes: [] },
          {
            ...conv('conv1d', { dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null } }),
            name: 'conv1d',
            inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 10, 3], dtype: 'float32', keras_history: ['input_layer', 0, 0] } }], kwargs: {} }],
          },
        ],
        input_layers: ['input_layer', 0, 0],
        output_layers: ['conv1d', 0, 0],
      },
    };
    const g = graphFromKerasConfig(config, mapSource({ conv1d: convWeights('conv1d') }), { generation: 'keras3' });
    expect(g.inputs).toEqual(['input_layer']);
    expect(g.outputs).toEqual(['conv1d']);
    expect(g.nodes.map((n) => n.op)).toEqual(['Input', 'Conv1D']);
    expect((g.nodes[0] as Extract<Node, { op: 'Input' }>).attrs).toEqual({ shape: [10, 3], batchSize: null, dtype: 'float32' });
  });

  it('a Sequential without any input shape takes its channels from the first kernel, with a warning', () => {
    const g = graphFromKerasConfig({ class_name: 'Sequential', config: [conv('conv1d_1')] }, mapSource({ conv1d_1: convWeights('conv1d_1') }), { generation: 'keras2' });
    const input = g.nodes[0] as Extract<Node, { op: 'Input' }>;
    expect(input.attrs.shape).toEqual([null, 3]);
    expect(g.provenance.warnings.join(' ')).toMatch(/input shape/);
  });

  it('inlines a nested model called twice: scoped node names, shared weight keys, scope recorded', () => {
    const inner = { class_name: 'Sequential', config: { name: 'inner', layers: [conv('conv1d')] } };
    const config = {
      class_name: 'Model',
      config: {
        name: 'outer',
        layers: [
          { class_name: 'InputLayer', name: 'a', config: { batch_input_shape: [null, 8, 3], name: 'a' }, inbound_nodes: [] },
          { class_name: 'InputLayer', name: 'b', config: { batch_input_shape: [null, 8, 3], name: 'b' }, inbound_nodes: [] },
          { ...inner, name: 'inner', inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]] },
          { class_name: 'Add', name: 'add', config: { name: 'add' }, inbound_nodes: [[['inner', 1, 0, {}], ['inner', 2, 0, {}]]] },
        ],
        input_layers: [['a', 0, 0], ['b', 0, 0]],
        output_layers: [['add', 0, 0]],
      },
    };
    const g = graphFromKerasConfig(config, mapSource({ 'inner/conv1d': convWeights('inner/conv1d') }), { generation: 'tf-keras' });
    const convs = g.nodes.filter((n) => n.op === 'Conv1D');
    expect(convs.map((n) => n.name)).toEqual(['inner/conv1d', 'inner@1/conv1d']);
    expect(convs[0].weights).toEqual(convs[1].weights);
    expect(convs[0].keras?.scope).toEqual(['inner']);
    expect(g.provenance.scopes?.inner.className).toBe('Sequential');
    const add = g.nodes.find((n) => n.op === 'Merge')!;
    expect(add.inputs).toEqual(['inner/conv1d', 'inner@1/conv1d']);
  });
});

describe.runIf(corpusAvailable())('config dialects of real files', () => {
  const read = (rel: string) => new Uint8Array(readFileSync(join(CORPUS, 'wild', rel)));

  it('Keras 2.1.3 Sequential as a bare list, no data_format, no groups', async () => {
    const g = await readKerasH5(read('dl4j-keras2.1.3-cnn1d-flatten/cnn1d_flatten_tf_keras2.h5'));
    expect(g.provenance.model?.extra?.sequentialAsList).toBe(true);
    const convs = g.nodes.filter((n): n is Extract<Node, { op: 'Conv1D' }> => n.op === 'Conv1D');
    expect(convs.length).toBe(3);
    for (const c of convs) {
      expect(c.keras?.config.data_format).toBeUndefined();
      expect(c.attrs.layout).toBe('NWC');
      expect(c.attrs.groups).toBe(1);
    }
    expect((g.nodes[0] as Extract<Node, { op: 'Input' }>).attrs.shape).toEqual([20, 100]);
  });

  it('Keras 2.1.3 Theano file: kernels flipped at import, recorded backend kept', async () => {
    const rel = 'dl4j-keras2.1.3-tf-vs-theano/embedding_conv1d_theano_2.h5';
    const g = await readKerasH5(read(rel));
    expect(g.provenance.backend).toBe('theano');
    const conv = g.nodes.find((n) => n.op === 'Conv1D')!;
    // Theano weight names carry no ':0' suffix; the reader follows weight_names.
    expect(conv.keras?.weightNames).toEqual(['conv1d_1/kernel', 'conv1d_1/bias']);
    const f = await openHdf5(read(rel));
    const stored = f.dataset('/model_weights/conv1d_1/conv1d_1/kernel');
    f.close();
    const kernel = g.weights.get(conv.weights.kernel)!;
    const [k] = stored.shape;
    const block = stored.data.length / k;
    for (let s = 0; s < k; s++) {
      expect(Array.from((kernel.data as Float32Array).subarray(s * block, (s + 1) * block))).toEqual(Array.from((stored.data as Float32Array).subarray((k - 1 - s) * block, (k - s) * block)));
    }
  });

  it('Keras 1.2.2 file without backend: tensorflow assumed with a warning, or theano when asked', async () => {
    const rel = 'dl4j-keras1.2.2-tf-vs-theano/embedding_conv1d_theano_1.h5';
    const tf = await readKerasH5(read(rel));
    expect(tf.provenance.assumedBackend).toBe('tensorflow');
    expect(tf.provenance.backend).toBeUndefined();
    expect(tf.provenance.warnings.join(' ')).toMatch(/does not record its backend/);
    const th = await readKerasH5(read(rel), { backend: 'theano' });
    expect(th.provenance.assumedBackend).toBe('theano');
    const kt = tf.weights.get('convolution1d_1/kernel')!;
    const kth = th.weights.get('convolution1d_1/kernel')!;
    expect(kt.shape).toEqual([3, 5, 6]);
    expect(Array.from((kth.data as Float32Array).subarray(0, 30))).toEqual(Array.from((kt.data as Float32Array).subarray(60, 90)));
    const conv = tf.nodes.find((n) => n.op === 'Conv1D') as Extract<Node, { op: 'Conv1D' }>;
    expect(conv.keras?.className).toBe('Convolution1D');
    expect(conv.attrs).toMatchObject({ filters: 6, kernelSize: 3, stride: 1, padding: { kind: 'explicit', before: 0, after: 0 } });
  });

  it('tf.keras 2.2.4-tf Functional "Model": causal/same padding and strides as written', async () => {
    for (const n of [18, 19, 20, 21, 22, 23, 24, 26, 28, 30, 32, 34]) {
      const g = await readKerasH5(read(`dl4j-tfkeras-2.2.4-cnn1d-grid/cnn1d_${n}.h5`));
      const conv = g.nodes.find((x) => x.op === 'Conv1D') as Extract<Node, { op: 'Conv1D' }>;
      const cfg = conv.keras!.config as { padding: string; strides: number[]; dilation_rate: number[]; kernel_size: number[] };
      const d = cfg.dilation_rate[0];
      const k = cfg.kernel_size[0];
      const expected = cfg.padding === 'same' ? { kind: 'same' } : { kind: 'explicit', before: cfg.padding === 'causal' ? d * (k - 1) : 0, after: 0 };
      expect(conv.attrs.padding).toEqual(expected);
      expect(conv.attrs.stride).toBe(cfg.strides[0]);
      expect(conv.attrs.dilation).toBe(d);
    }
  });

  it('Keras 3.13 legacy h5: DTypePolicy dtype, batch_shape, weights found through sequential/conv1d/kernel', async () => {
    const g = await readKerasH5(read('ecg-keras3.13-legacy-h5/ecg_model.h5'));
    expect(g.provenance.kerasVersion).toBe('3.13.2');
    expect(g.provenance.extra?.generation).toBe('keras3');
    const conv = g.nodes.find((n) => n.op === 'Conv1D')!;
    expect(conv.keras?.weightNames).toEqual(['sequential/conv1d/kernel', 'sequential/conv1d/bias']);
    expect(g.weights.get(conv.weights.kernel)!.shape).toEqual([5, 1, 8]);
    expect(g.provenance.trainingConfig).toMatchObject({ loss: 'binary_crossentropy' });
  });

  it('custom and Lambda layers load as Unsupported with their weights (bpnet RevCompConv1D)', async () => {
    const g = await readKerasH5(read('bpnet-keras2.2.4-revcomp/Spi1ProfileModel_rc.h5'));
    const rc = g.nodes.filter((n) => n.op === 'Unsupported' && n.attrs.className === 'RevCompConv1D');
    expect(rc.length).toBeGreaterThan(0);
    for (const n of rc) expect(Object.keys(n.weights).length).toBeGreaterThan(0);
    expect(g.nodes.some((n) => n.op === 'Unsupported' && n.attrs.className === 'Lambda')).toBe(true);
    expect(g.outputs.length).toBeGreaterThan(1);
  });
});
