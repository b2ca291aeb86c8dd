/**
 * Writer details not covered by the golden round trips: HDF5 attribute kinds and chunking,
 * training_config / optimizer-state handling, the .keras container, and what the read-back
 * check catches.
 */
import { describe, expect, it } from 'vitest';
import { unzipSync, strFromU8 } from 'fflate';
import { arraySplit, buildHdf5, HDF5_OBJECT_HEADER_LIMIT } from '../../src/formats/hdf5-write.js';
import { openHdf5 } from '../../src/formats/hdf5.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { float32 } from '../../src/tensor.js';
import { readKerasH5 } from '../../src/keras/read/h5.js';
import { saveWithReport } from '../../src/keras/write/save.js';
import { assertSameWeights } from '../../src/keras/write/verify-written.js';

function tinyModel(extra: Partial<Graph['provenance']> = {}): Graph {
  const kernel = float32([3, 2, 4], Array.from({ length: 24 }, (_, i) => i / 7));
  const bias = float32([4], [0.5, -1, 2, 1e-8]);
  const input: Node = { op: 'Input', name: 'input_1', inputs: [], outputs: ['x'], attrs: { shape: [8, 2], batchSize: null, dtype: 'float32' }, weights: {}, keras: { className: 'InputLayer', config: { name: 'input_1' }, layerName: 'input_1' } };
  const conv: Node = {
    op: 'Conv1D', name: 'conv1d', inputs: ['x'], outputs: ['y'],
    attrs: { kernelSize: 3, stride: 1, dilation: 1, padding: { kind: 'same' }, layout: 'NWC', filters: 4, inChannels: 2, groups: 1, activation: { fn: 'relu' }, useBias: true },
    weights: { kernel: 'conv1d/kernel', bias: 'conv1d/bias' },
    keras: { className: 'Conv1D', layerName: 'conv1d', config: { name: 'conv1d', trainable: false, kernel_regularizer: { class_name: 'L1L2', config: { l1: 0.01, l2: 0 } }, kernel_initializer: { class_name: 'HeNormal', config: { seed: 3 } } } },
  };
  return {
    name: 'model', inputs: ['x'], outputs: ['y'], nodes: [input, conv],
    weights: new Map([['conv1d/kernel', kernel], ['conv1d/bias', bias]]),
    provenance: { format: 'keras-h5', kerasVersion: '2.15.0', warnings: [], model: { className: 'Functional', config: { name: 'model' }, layerName: 'model' }, ...extra },
  };
}

describe('HDF5 writing', () => {
  it('splits name lists like np.array_split and chunks attributes over 64512 bytes', async () => {
    expect(arraySplit([1, 2, 3, 4, 5], 2)).toEqual([[1, 2, 3], [4, 5]]);
    const names = Array.from({ length: 2000 }, (_, i) => `layer_with_a_rather_long_name_${String(i).padStart(6, '0')}`);
    expect(names.length * names[0].length).toBeGreaterThan(HDF5_OBJECT_HEADER_LIMIT);
    const bytes = await buildHdf5((h5) => {
      h5.nameList('', 'layer_names', names);
      h5.group('g');
      h5.nameList('g', 'weight_names', []);
      h5.nameList('g', 'short', ['a', 'bc']);
    });
    const f = await openHdf5(bytes);
    expect(f.hasAttr('/', 'layer_names')).toBe(false);
    expect(f.attrNames('/').sort()).toEqual(['layer_names0', 'layer_names1']);
    expect(f.chunkedAttr('/', 'layer_names')).toEqual(names);
    expect(f.chunkedAttr('/g', 'weight_names')).toEqual([]);
    expect(f.chunkedAttr('/g', 'short')).toEqual(['a', 'bc']);
    f.close();
    // Superblock 0, like h5py's default (readable by every HDF5 library Keras ever used).
    expect(bytes[8]).toBe(0);
  });
});

describe('what travels and what is dropped', () => {
  it('legacy .h5 keeps training_config for the same Keras generation, drops it with a warning otherwise', async () => {
    const tc = { loss: 'mse', optimizer_config: { class_name: 'Adam', config: { learning_rate: 0.001 } } };
    const g = tinyModel({ trainingConfig: tc });
    const same = await saveWithReport(g, { format: 'keras-h5', target: 'tf-keras-2.15' });
    expect((await readKerasH5(same.bytes)).provenance.trainingConfig).toEqual(tc);
    const other = await saveWithReport(g, { format: 'keras-h5', target: 'keras-3' });
    expect((await readKerasH5(other.bytes)).provenance.trainingConfig).toBeUndefined();
    expect(other.warnings.join('\n')).toMatch(/training_config dropped/);
  });

  it('optimizer state is dropped with a warning that says so', async () => {
    const r = await saveWithReport(tinyModel({ extra: { optimizerWeightNames: ['Adam/iterations:0'] } }), { format: 'keras-v3', target: 'keras-3' });
    expect(r.warnings.join('\n')).toMatch(/optimizer state dropped/);
  });

  it('layer names, trainable, initializer and regularizer configs survive into the file', async () => {
    const r = await saveWithReport(tinyModel(), { format: 'keras-v3', target: 'keras-3' });
    const files = unzipSync(r.bytes);
    expect(Object.keys(files)).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
    const config = JSON.parse(strFromU8(files['config.json']));
    const conv = config.config.layers.find((l: { class_name: string }) => l.class_name === 'Conv1D').config;
    expect(conv.name).toBe('conv1d');
    expect(conv.trainable).toBe(false);
    expect(conv.kernel_regularizer).toEqual({ module: 'keras.regularizers', class_name: 'L1L2', config: { l1: 0.01, l2: 0 }, registered_name: null });
    expect(conv.kernel_initializer).toMatchObject({ class_name: 'HeNormal', config: { seed: 3 } });
    expect(JSON.parse(strFromU8(files['metadata.json'])).keras_version).toBe('3.15.1');
    // Keras 2.2.4 has no HeNormal class: the VarianceScaling it stands for.
    const old = await readKerasH5((await saveWithReport(tinyModel(), { format: 'keras-h5', target: 'keras-2.2.4' })).bytes);
    expect(old.nodes[1].keras?.config.kernel_initializer).toEqual({ class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: 3 } });
  });
});

describe('read-back check', () => {
  it('catches a weight that differs by one bit', async () => {
    const g = tinyModel();
    const back = await readKerasH5((await saveWithReport(g, { format: 'keras-h5', target: 'tf-keras-2.15' })).bytes);
    expect(() => assertSameWeights(g, back)).not.toThrow();
    const bias = back.weights.get(back.nodes[1].weights.bias)!;
    new Uint32Array(bias.data.buffer, bias.data.byteOffset, bias.data.length)[3] ^= 1;
    expect(() => assertSameWeights(g, back)).toThrow(/weight 'bias' of layer 'conv1d' differs/);
  });
});
