import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { float32, type Tensor } from '../../src/tensor.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareWithKeras, goldenCases } from '../helpers/cases.js';
import { mergeWeightTrees, toSnakeCase, V3WeightMap, weightTreeFromArrays, type V3Group } from '../../src/keras/read/v3-weights.js';

/** A weights tree from `path → shape` (values 0, 1, 2, … so tensors are distinguishable). */
function tree(vars: Record<string, number[]>, names: Record<string, string> = {}): V3Group {
  const arrays = new Map<string, Tensor>();
  let next = 0;
  for (const [path, shape] of Object.entries(vars)) {
    const t = float32(shape);
    (t.data as Float32Array).fill(next++);
    arrays.set(path, t);
  }
  const root = weightTreeFromArrays(arrays);
  // Keras >= 3.6 names (vars@name), by object path; weightless objects get an empty group, as in Keras.
  for (const [path, name] of Object.entries(names)) {
    let g = root;
    for (const part of path.split('/')) {
      let child = g.children.get(part);
      if (!child) g.children.set(part, (child = { path: `${g.path === '/' ? '' : g.path}/${part}`, vars: [], children: new Map() }));
      g = child;
    }
    g.name = name;
  }
  return root;
}

const layer = (class_name: string, name: string, extra: Record<string, unknown> = {}) => ({ module: 'keras.layers', class_name, config: { name, ...extra } });
const sequential = (name: string, layers: unknown[]) => ({ module: 'keras', class_name: 'Sequential', config: { name, layers } });
const functional = (name: string, layers: unknown[]) => ({ module: 'keras.src.models.functional', class_name: 'Functional', config: { name, layers } });

/** What the map gives for a layer: [name, first value, shape] of each stored weight. */
function summary(map: V3WeightMap, name: string, scope: string[] = []) {
  return map.layerWeights(name, scope)?.map((w) => [w.name, w.tensor.data[0], w.tensor.shape]);
}

describe('toSnakeCase (group names Keras derives from class names)', () => {
  it.each([
    ['Conv1D', 'conv1d'],
    ['MaxPooling1D', 'max_pooling1d'],
    ['GlobalAveragePooling1D', 'global_average_pooling1d'],
    ['InputLayer', 'input_layer'],
    ['BatchNormalization', 'batch_normalization'],
    ['Conv1DTranspose', 'conv1d_transpose'],
    ['SeparableConv1D', 'separable_conv1d'],
    ['ReLU', 're_lu'],
    ['TCN', 'tcn'],
    ['Sequential', 'sequential'],
  ])('%s → %s', (cls, snake) => {
    expect(toSnakeCase(cls, 3)).toBe(snake);
    expect(toSnakeCase(cls, 2)).toBe(snake);
  });

  it('follows each generation where they differ', () => {
    // Keras 2 splits before a capital followed by digits too, and renames private classes.
    expect(toSnakeCase('LayerV2Block', 3)).toBe('layer_v2_block');
    expect(toSnakeCase('LayerV2Block', 2)).toBe('layer_v2block');
    expect(toSnakeCase('AB2c', 3)).toBe('ab2c');
    expect(toSnakeCase('AB2c', 2)).toBe('a_b2c');
    expect(toSnakeCase('_Hidden', 2)).toBe('private__hidden');
    expect(toSnakeCase('_Hidden', 3)).toBe('__hidden');
  });
});

describe('V3WeightMap: which group holds which layer', () => {
  const seq = sequential('model', [
    layer('InputLayer', 'input_layer'),
    layer('Conv1D', 'first'),
    layer('Dropout', 'drop'),
    layer('Conv1D', 'second'),
    layer('Dense', 'head'),
  ]);

  it('replays the walk: class-derived names with counters, a Sequential skipping its InputLayer', () => {
    const map = new V3WeightMap(
      tree({ 'layers/conv1d/vars/0': [3, 2, 4], 'layers/conv1d/vars/1': [4], 'layers/conv1d_1/vars/0': [1, 4, 4], 'layers/dense/vars/0': [4, 1] }),
      seq,
    );
    expect(summary(map, 'first')).toEqual([
      ['vars/0', 0, [3, 2, 4]],
      ['vars/1', 1, [4]],
    ]);
    expect(summary(map, 'second')).toEqual([['vars/0', 2, [1, 4, 4]]]);
    expect(summary(map, 'head')).toEqual([['vars/0', 3, [4, 1]]]);
    expect(map.layerWeights('input_layer')).toBeUndefined();
    expect(map.unclaimedVariables()).toEqual([]);
  });

  it('matches on the vars@name attribute when present (Keras ≥ 3.6), whatever the group is called', () => {
    const names = { 'layers/conv1d': 'second', 'layers/conv1d_1': 'first', 'layers/dense': 'head', 'layers/dropout': 'drop' };
    const map = new V3WeightMap(tree({ 'layers/conv1d/vars/0': [1], 'layers/conv1d_1/vars/0': [2], 'layers/dense/vars/0': [3] }, names), seq);
    expect(summary(map, 'first')).toEqual([['vars/0', 1, [2]]]);
    expect(summary(map, 'second')).toEqual([['vars/0', 0, [1]]]);
  });

  it('counts a weighted layer once under _layer_checkpoint_dependencies when tf.keras 2.14 wrote it', () => {
    const map = new V3WeightMap(
      tree({
        '_layer_checkpoint_dependencies/conv1d/vars/0': [1],
        '_layer_checkpoint_dependencies/conv1d_1/vars/0': [2],
        '_layer_checkpoint_dependencies/dense/vars/0': [3],
      }),
      seq,
      { generation: 2, kerasVersion: '2.14.0' },
    );
    expect(summary(map, 'first')).toEqual([['vars/0', 0, [1]]]);
    expect(summary(map, 'second')).toEqual([['vars/0', 1, [2]]]);
    expect(summary(map, 'head')).toEqual([['vars/0', 2, [3]]]);
  });

  it('counts a weighted layer twice under _layer_checkpoint_dependencies (tf.keras 2.12–2.13 .keras)', () => {
    // dict values: first, first, drop, second, second, head, head → conv1d, (conv1d_1), dropout, conv1d_2, …
    const map = new V3WeightMap(
      tree({
        '_layer_checkpoint_dependencies/conv1d/vars/0': [1],
        '_layer_checkpoint_dependencies/conv1d_2/vars/0': [2],
        '_layer_checkpoint_dependencies/dense/vars/0': [3],
      }),
      seq,
      { generation: 2 },
    );
    expect(summary(map, 'first')).toEqual([['vars/0', 0, [1]]]);
    expect(summary(map, 'second')).toEqual([['vars/0', 1, [2]]]);
    expect(summary(map, 'head')).toEqual([['vars/0', 2, [3]]]);
  });

  it('follows nested models, keyed by scope; a Functional keeps its InputLayers in the walk', () => {
    const model = functional('outer', [
      layer('InputLayer', 'in'),
      sequential('inner', [layer('InputLayer', 'inner_in'), layer('Conv1D', 'conv')]),
      layer('Conv1D', 'conv'),
    ]);
    const map = new V3WeightMap(
      tree({ 'layers/sequential/layers/conv1d/vars/0': [1], 'layers/conv1d/vars/0': [2], 'layers/conv1d/vars/1': [2] }),
      model,
    );
    expect(summary(map, 'conv', ['inner'])).toEqual([['vars/0', 0, [1]]]);
    expect(summary(map, 'conv')).toEqual([
      ['vars/0', 1, [2]],
      ['vars/1', 2, [2]],
    ]);
  });

  it("lists a custom layer's sublayer variables, own first, with their paths", () => {
    const model = sequential('s', [layer('TCN', 'tcn')]);
    const map = new V3WeightMap(tree({ 'layers/tcn/vars/0': [1], 'layers/tcn/block_0/conv1D_0/vars/0': [3, 1, 2], 'layers/tcn/block_0/conv1D_0/vars/1': [2] }), model);
    expect(summary(map, 'tcn')).toEqual([
      ['vars/0', 0, [1]],
      ['block_0/conv1D_0/vars/0', 1, [3, 1, 2]],
      ['block_0/conv1D_0/vars/1', 2, [2]],
    ]);
  });

  it('reports variables no layer read, but not the optimizer', () => {
    const map = new V3WeightMap(tree({ 'layers/conv1d/vars/0': [1], 'layers/dense/vars/0': [1], 'optimizer/vars/0': [1] }), sequential('s', [layer('Conv1D', 'c')]));
    map.layerWeights('c');
    expect(map.unclaimedVariables()).toEqual(['/layers/dense/vars']);
  });
});

describe('weights trees from plain arrays and shards', () => {
  it('reads plain-array npz keys with or without vars/, and __root__', () => {
    const root = tree({ '__root__/0': [1], 'layers/conv1d/0': [2], 'layers/conv1d/1': [3] });
    expect(root.vars.map((v) => v.path)).toEqual(['/vars/0']);
    expect(root.children.get('layers')?.children.get('conv1d')?.vars.map((v) => v.shape)).toEqual([[2], [3]]);
  });

  it('refuses variable indexes with holes and names without an index', () => {
    expect(() => tree({ 'layers/conv1d/vars/0': [1], 'layers/conv1d/vars/2': [1] })).toThrow(/0\.\.1, found 0, 2/);
    expect(() => tree({ 'layers/conv1d/kernel': [1] })).toThrow(KconvError);
  });

  it('merges shards, including one object split over two shards', () => {
    const a = tree({ 'layers/conv1d/vars/0': [3, 1, 4], 'layers/dense/vars/0': [4, 1] });
    const b = weightTreeFromArrays(new Map([['layers/conv1d/vars/1', float32([4])]]), undefined, { partial: true });
    const merged = mergeWeightTrees([a, b]);
    expect(merged.children.get('layers')?.children.get('conv1d')?.vars.map((v) => v.shape)).toEqual([[3, 1, 4], [4]]);
    expect(() => mergeWeightTrees([a, a])).not.toThrow(); // the same variable objects: idempotent
    const clash = weightTreeFromArrays(new Map([['layers/conv1d/vars/0', float32([1])]]));
    expect(() => mergeWeightTrees([a, clash])).toThrow(/two shards both hold variable 0/);
    const missing = weightTreeFromArrays(new Map([['layers/dense/vars/1', float32([1])]]), undefined, { partial: true });
    expect(() => mergeWeightTrees([missing])).toThrow(/0\.\.0, found 1/);
  });
});

describe('issue 15 reproducer: .keras archives of tf.keras 2.12, 2.13 and 2.14 with repeated classes', () => {
  // Conv1D, Conv1D, Dense, Dense (fixtures model-seq-classifier, written by each real tf.keras):
  // 2.12/2.13 store conv1d, conv1d_2, dense, dense_2; 2.14 conv1d, conv1d_1, dense, dense_1.
  const cases = goldenCases('keras2-keras').filter((c) => c.entry.id === 'model-seq-classifier--keras2-keras');
  it('has the case from tf.keras 2.12, 2.13, 2.14 and 2.15 and tf_keras 2.16', () => {
    expect(cases.map((c) => c.json.versions.keras).sort()).toEqual(['2.12.0', '2.13.1', '2.14.0', '2.15.0', '2.16.0']);
  });
  for (const c of cases) {
    it(`tf.keras ${c.json.versions.keras}: every weight is read, each layer from its own group, outputs match Keras`, async () => {
      const graph = await readKerasArchive(c.bytes(c.json.files.model!), { filename: c.entry.id });
      expect(graph.provenance.warnings.filter((w) => /no layer of the config uses/.test(w))).toEqual([]);
      const cmp = compareWithKeras(c, runGraph(graph, c.inputs()));
      expect(cmp.pass, cmp.message).toBe(true);
    });
  }
});
