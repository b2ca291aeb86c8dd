import { describe, expect, test } from 'vitest';
import { readBundle } from '../../src/formats/tf-bundle.js';
import { checkpointFromNamedFiles, checkpointGraph } from '../../src/tf/checkpoint.js';
import { graphFromTf1Spec, type Tf1ModelSpec } from '../../src/tf/tf1-nometa.js';
import { f32bytes, writeBundle } from '../helpers/tf-writer.js';
import { caught } from '../helpers/errors.js';

const DT_FLOAT = 1;
const range = (n: number) => Array.from({ length: n }, (_, i) => (i % 7) - 3);


/** conv1d (k3, 2→4) + dense (4→2) under the default tf.layers scopes, plus a global_step. */
function files() {
  return writeBundle([
    { name: 'conv1d/kernel', dtype: DT_FLOAT, shape: [3, 2, 4], bytes: f32bytes(range(24)) },
    { name: 'conv1d/bias', dtype: DT_FLOAT, shape: [4], bytes: f32bytes([1, 2, 3, 4]) },
    { name: 'dense/kernel', dtype: DT_FLOAT, shape: [4, 2], bytes: f32bytes(range(8)) },
    { name: 'dense/bias', dtype: DT_FLOAT, shape: [2], bytes: f32bytes([0, 1]) },
  ]);
}

const spec: Tf1ModelSpec = {
  input: [null, 10, 2],
  layers: [
    { type: 'conv1d', filters: 4, kernel_size: 3, padding: 'causal', dilation_rate: 2, activation: 'relu' },
    { type: 'global_average_pooling1d' },
    { type: 'dense', units: 2 },
  ],
};

describe('TF1 checkpoints without a .meta: the user describes the layers', () => {
  test('variables are found under the default scopes and the layers built with the described hyperparameters', () => {
    const graph = graphFromTf1Spec(readBundle(files()), spec);
    expect(graph.provenance.format).toBe('tf1-checkpoint');
    const [input, conv, pool, dense] = graph.nodes;
    expect(input.op).toBe('Input');
    expect(conv.op === 'Conv1D' && conv.attrs).toMatchObject({ kernelSize: 3, dilation: 2, filters: 4, inChannels: 2, padding: { kind: 'explicit', before: 4, after: 0 }, activation: { fn: 'relu' } });
    expect(conv.keras).toMatchObject({ layerName: 'conv1d', weightNames: ['conv1d/kernel', 'conv1d/bias'] });
    expect(pool.op).toBe('GlobalAveragePooling1D');
    expect(dense.op === 'Dense' && dense.attrs).toMatchObject({ units: 2, inFeatures: 4, useBias: true });
    expect(Array.from(graph.weights.get(`${conv.name}/kernel`)!.data as Float32Array)).toEqual(range(24));
  });

  test('a kernel that contradicts the description is BAD_WEIGHTS', () => {
    const wrong = { ...spec, layers: [{ ...spec.layers[0], kernel_size: 5 }, ...spec.layers.slice(1)] };
    const e = caught(() => graphFromTf1Spec(readBundle(files()), wrong));
    expect(e.code).toBe('BAD_WEIGHTS');
    expect(e.message).toContain('[5, 2, 4]');
  });

  test('a layer whose variables are elsewhere is BAD_WEIGHTS naming what the checkpoint has', () => {
    const e = caught(() => graphFromTf1Spec(readBundle(files()), { ...spec, scope: 'model' }));
    expect(e.code).toBe('BAD_WEIGHTS');
    expect(e.message).toContain('model/conv1d/kernel');
    expect(e.message).toContain('"conv1d/kernel"');
  });

  test('malformed descriptions are BAD_CONFIG at the key', () => {
    expect(caught(() => graphFromTf1Spec(readBundle(files()), { ...spec, layers: [{ type: 'lstm' }] })).where).toBe('layers[0].type');
    expect(caught(() => graphFromTf1Spec(readBundle(files()), { ...spec, layers: [{ type: 'conv1d', filters: 4, kernel_size: 3, padding: 'full' }] })).where).toBe('layers[0].padding');
    expect(caught(() => graphFromTf1Spec(readBundle(files()), { ...spec, layers: [{ type: 'conv1d', filters: 4, kernel_size: 3, kernal: 1 }] })).where).toBe('layers[0].kernal');
  });

  test('files given by name are sorted into a checkpoint; without a graph or description the error says what to give', () => {
    const f = files();
    const named = checkpointFromNamedFiles({ 'model.ckpt.index': f.index, 'model.ckpt.data-00000-of-00001': f.shards[0] });
    expect(named).toMatchObject({ kind: 'v2', name: 'model.ckpt' });
    expect(named.shards).toHaveLength(1);
    const e = caught(() => checkpointGraph(named));
    expect(e.code).toBe('USAGE');
    expect(e.message).toContain('describe them');
    expect(checkpointGraph(named, { layers: spec }).nodes).toHaveLength(4);
  });
});
