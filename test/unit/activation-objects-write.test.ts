/**
 * Activations given as layer objects, written (src/keras/layers/activation-value.ts): for each
 * target family that reloads them, kconv writes what that Keras itself wrote in golden case
 * model-activation-object (Conv1D(activation=LeakyReLU(0.1)), ReLU(max_value, negative_slope),
 * Dense(activation=ELU(0.5)), Conv1D(activation=Softmax())); every other target refuses, naming the
 * oldest targets that reload them (docs/writers.md, "Activations given as layer objects").
 */
import { describe, expect, it } from 'vitest';
import { openHdf5 } from '../../src/formats/hdf5.js';
import { openZip } from '../../src/formats/zip.js';
import type { Graph } from '../../src/ir/graph.js';
import { emitModel } from '../../src/keras/emit/model.js';
import { checkRepresentable } from '../../src/keras/layers/representable.js';
import { readKerasH5 } from '../../src/keras/read/h5.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { parseTarget } from '../../src/keras/targets.js';
import { goldenCases, type GoldenCase } from '../helpers/cases.js';
import { caught } from '../helpers/errors.js';

type LayerJson = { class_name: string; config: Record<string, unknown> };

const CASES = goldenCases('h5', 'keras').filter((c) => c.json.id.startsWith('model-activation-object'));
const caseOf = (env: string): GoldenCase => {
  const c = CASES.find((x) => x.json.env === env);
  if (!c) throw new Error(`no model-activation-object case from ${env}`);
  return c;
};

async function kerasLayers(c: GoldenCase): Promise<LayerJson[]> {
  const bytes = c.bytes(c.json.files.model!);
  if (c.json.format === 'h5') {
    const h5 = await openHdf5(bytes, c.json.files.model);
    const cfg = JSON.parse(h5.stringAttr('/', 'model_config')!);
    h5.close();
    return cfg.config.layers;
  }
  return JSON.parse(new TextDecoder().decode(openZip(bytes).read('config.json'))).config.layers;
}

async function graphOf(c: GoldenCase): Promise<Graph> {
  const bytes = c.bytes(c.json.files.model!);
  return c.json.format === 'h5' ? readKerasH5(bytes, { filename: c.json.files.model }) : readKerasArchive(bytes, { filename: c.json.files.model });
}

function writtenLayers(graph: Graph, targetId: string): LayerJson[] {
  const target = parseTarget(targetId);
  checkRepresentable(graph, target);
  const model = emitModel(graph, target, target.family === 'keras3' ? 'saving_lib' : 'legacy').config as unknown as { config: { layers: LayerJson[] } };
  return model.config.layers;
}

/** The nested activation objects of a model's layers, by layer name. */
function activationObjects(layers: LayerJson[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const l of layers) if (typeof l.config.activation === 'object' && l.config.activation !== null) out[l.config.name as string] = l.config.activation;
  return out;
}

/**
 * What Keras wrote, less what kconv leaves out on purpose: `build_config` (the call's input shape;
 * a weightless layer needs none) and a dtype policy's `shared_object_id` (an id of the Python object).
 */
function withoutBuildRecords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBuildRecords);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== 'build_config' && k !== 'shared_object_id') out[k] = withoutBuildRecords(v);
  return out;
}

describe('activation layer objects, written', () => {
  it('the golden case exists in every env the test reads', () => {
    expect(CASES.map((c) => c.json.env).sort()).toEqual(['keras3', 'keras3.0', 'keras3.2', 'tf2.13', 'tf2.15', 'tfkeras']);
  });

  // Each source written back for its own Keras: the nested objects are what that Keras wrote.
  for (const [env, target] of [['tf2.13', 'tf-keras-2.13'], ['tf2.15', 'tf-keras-2.15'], ['tfkeras', 'tf_keras'], ['keras3', 'keras-3']] as const) {
    it(`${env} → ${target}: the objects ${env}'s Keras wrote`, async () => {
      const c = caseOf(env);
      const written = activationObjects(writtenLayers(await graphOf(c), target));
      const keras = withoutBuildRecords(activationObjects(await kerasLayers(c)));
      expect(Object.keys(written)).toHaveLength(4);
      expect(written).toEqual(keras);
    });
  }

  it('across families: tf.keras spells the slope alpha, Keras 3 negative_slope, both with module keras.layers', async () => {
    const fromKeras3 = activationObjects(writtenLayers(await graphOf(caseOf('keras3')), 'tf-keras-2.13'));
    const tf213 = withoutBuildRecords(activationObjects(await kerasLayers(caseOf('tf2.13')))) as Record<string, { config: Record<string, unknown> }>;
    for (const [name, obj] of Object.entries(fromKeras3) as [string, { module: string; class_name: string; registered_name: null; config: Record<string, unknown> }][]) {
      expect(Object.keys(obj.config).sort()).toEqual(Object.keys(tf213[name].config).sort());
      expect({ ...obj, config: null }).toEqual({ ...tf213[name], config: null });
    }
    const fromTf = activationObjects(writtenLayers(await graphOf(caseOf('tf2.15')), 'keras-3')) as Record<string, { config: Record<string, unknown> }>;
    const k3 = withoutBuildRecords(activationObjects(await kerasLayers(caseOf('keras3')))) as Record<string, { config: Record<string, unknown> }>;
    for (const [name, obj] of Object.entries(fromTf)) expect(Object.keys(obj.config).sort()).toEqual(Object.keys(k3[name].config).sort());
  });

  it('refuses the Kerases that cannot reload an activation layer object, naming tf-keras-2.12 and keras-3.12', async () => {
    const graph = await graphOf(caseOf('keras3'));
    for (const id of ['keras-2.2.4', 'tf-keras-2.2', 'tf-keras-2.11', 'keras-3.0', 'keras-3.2', 'keras-3.6', 'keras-3.11']) {
      const e = caught(() => checkRepresentable(graph, parseTarget(id)));
      expect(e.code).toBe('NOT_REPRESENTABLE');
      expect(e.message).toMatch(/layer 'conv1d' \(Conv1D\) uses an activation given as a layer object \(LeakyReLU\)/);
      expect(e.message).toMatch(id.startsWith('keras-3') ? /tf-keras-2\.12 \(keras-3\.12 in the keras3 line\)/ : /oldest target that can express it is tf-keras-2\.12/);
    }
    expect(() => writtenLayers(graph, 'keras-3.12')).not.toThrow();
  });

  it('a Softmax() object is written as the name softmax where objects cannot be reloaded (the same function)', async () => {
    // conv1d_2's Softmax(axis=-1) alone: drop the other layers' parameterized activations
    const graph = await graphOf(caseOf('keras3'));
    const plain: Graph = { ...graph, nodes: graph.nodes.map((n) => (n.name === 'conv1d_2' || !('activation' in n.attrs) ? n : { ...n, attrs: { ...n.attrs, activation: { fn: 'relu' } } }) as typeof n) };
    const layers = writtenLayers(plain, 'keras-3.0');
    expect(layers.find((l) => l.config.name === 'conv1d_2')!.config.activation).toBe('softmax');
    expect((writtenLayers(plain, 'keras-3')).find((l) => l.config.name === 'conv1d_2')!.config.activation).toMatchObject({ module: 'keras.layers', class_name: 'Softmax' });
  });
});
