/**
 * TF2 object-based checkpoints (`model.save_weights('ckpt')` in tf.keras, `tf.train.Checkpoint`):
 * the same bundle container, with keys like `layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`
 * and a `_CHECKPOINTABLE_OBJECT_GRAPH` entry (a TrackableObjectGraph proto) saying which object
 * each key belongs to. The keys say nothing about layer names or classes, so the weights are
 * loaded into a given architecture (a Keras `to_json()` config):
 *
 * A Keras model registers each of its layers as children `layer-<i>` (i counts the model's
 * `layers`: for a Sequential, the layers without its InputLayer; for a Functional model, all of
 * them, InputLayers included) and, for layers with weights, `layer_with_weights-<j>`. A layer's
 * variables are its children named after the weight (`kernel`, `bias`, `gamma`, ...), in the order
 * the layer created them; each variable node's attribute gives the checkpoint key. Nested models
 * are layers whose object has its own `layer-<i>` children. We walk the config and the object
 * graph side by side, and read every key through the object graph, never by rebuilding it.
 */
import { KconvError } from '../errors.js';
import type { Bundle } from '../formats/tf-bundle.js';
import { decodeProto } from '../formats/tf-protos.js';
import type { Graph } from '../ir/graph.js';
import { isObject } from '../keras/config-values.js';
import { generationOf, type ReadOptions } from '../keras/generation.js';
import type { StoredWeight } from '../keras/layers/index.js';
import { graphFromKerasConfig, isModelClass, type LayerWeightSource } from '../keras/model-config.js';

export const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

interface TrackableObject {
  children: { node_id: number; local_name: string }[];
  attributes: { name: string; full_name: string; checkpoint_key: string }[];
}

export function readObjectGraph(bundle: Bundle): TrackableObject[] {
  if (!bundle.entries.has(OBJECT_GRAPH_KEY)) {
    throw new KconvError('UNSUPPORTED_FORMAT', `this checkpoint has no ${OBJECT_GRAPH_KEY} entry: it is a TF1 name-based checkpoint, not a TF2 object-based one`, { where: OBJECT_GRAPH_KEY });
  }
  const [bytes] = bundle.strings(OBJECT_GRAPH_KEY);
  const graph = decodeProto<{ nodes: TrackableObject[] }>('tensorflow.TrackableObjectGraph', bytes, OBJECT_GRAPH_KEY);
  if (graph.nodes.length === 0) throw new KconvError('CORRUPT_FILE', 'the object graph has no root node', { where: OBJECT_GRAPH_KEY });
  return graph.nodes;
}

function layerEntries(modelConfig: Record<string, unknown>): { name: string; className: string; config: unknown }[] {
  const cfg = modelConfig.config;
  const layers = Array.isArray(cfg) ? cfg : isObject(cfg) && Array.isArray(cfg.layers) ? cfg.layers : [];
  return layers.filter(isObject).map((l) => {
    const c = isObject(l.config) ? l.config : {};
    return { name: String(c.name ?? l.name ?? ''), className: String(l.class_name), config: l };
  });
}

/** Pairs each layer of the architecture (by scope path) with its object in the object graph. */
function pairLayers(nodes: TrackableObject[], modelConfig: Record<string, unknown>, objectId: number, scope: string[], out: Map<string, number>): void {
  const obj = nodes[objectId];
  const children = new Map(obj.children.map((c) => [c.local_name, c.node_id]));
  const sequential = modelConfig.class_name === 'Sequential';
  let i = 0;
  for (const layer of layerEntries(modelConfig)) {
    if (sequential && layer.className === 'InputLayer') continue;
    const id = children.get(`layer-${i}`);
    i++;
    if (id === undefined || !nodes[id]) {
      throw new KconvError('BAD_WEIGHTS', `the architecture's layer ${[...scope, layer.name].join('/')} (#${i - 1}) has no object layer-${i - 1} in the checkpoint: the checkpoint belongs to another architecture`, {
        where: OBJECT_GRAPH_KEY,
      });
    }
    out.set([...scope, layer.name].join('/'), id);
    if (isModelClass(layer.className)) pairLayers(nodes, layer.config as Record<string, unknown>, id, [...scope, layer.name], out);
  }
}

/** Loads a TF2 object-based checkpoint into an architecture (a Keras `to_json()` document, parsed). */
export function graphFromTf2Checkpoint(bundle: Bundle, architecture: unknown, options: ReadOptions = {}): Graph {
  if (!isObject(architecture) || typeof architecture.class_name !== 'string') {
    throw new KconvError('BAD_CONFIG', 'expected the architecture as a Keras to_json() document {"class_name": ..., "config": ...}', { where: 'architecture' });
  }
  const nodes = readObjectGraph(bundle);
  const objects = new Map<string, number>();
  pairLayers(nodes, architecture, 0, [], objects);
  const used = new Set<string>();
  const source: LayerWeightSource = {
    layerWeights(layerName, scope) {
      const path = [...scope, layerName].join('/');
      const id = objects.get(path);
      if (id === undefined) return undefined;
      const stored: StoredWeight[] = [];
      for (const child of nodes[id].children) {
        const variable = nodes[child.node_id]?.attributes.find((a) => a.name === 'VARIABLE_VALUE');
        if (!variable) continue;
        used.add(variable.checkpoint_key);
        stored.push({ name: variable.full_name || `${path}/${child.local_name}`, tensor: bundle.tensor(variable.checkpoint_key), where: variable.checkpoint_key });
      }
      return stored.length > 0 ? stored : undefined;
    },
  };
  // to_json() records keras_version: trust it over guessing from the config's shape (Keras 2.13+
  // configs already carry Keras 3-style `module` keys).
  const version = typeof architecture.keras_version === 'string' ? architecture.keras_version : undefined;
  const generation = options.generation ?? (version ? generationOf(version) : undefined);
  const graph = graphFromKerasConfig(architecture, source, { ...options, ...(generation ? { generation } : {}) });
  if (version) graph.provenance.kerasVersion = version;
  if (typeof architecture.backend === 'string') graph.provenance.backend = architecture.backend;
  const unused = [...bundle.entries.keys()].filter((k) => k !== OBJECT_GRAPH_KEY && !used.has(k) && !k.includes('/.OPTIMIZER_SLOT/') && !k.startsWith('optimizer/') && !k.startsWith('save_counter/'));
  if (unused.length > 0) graph.provenance.warnings.push(`checkpoint values not used by the architecture: ${unused.join(', ')}`);
  graph.provenance.format = 'tf2-checkpoint';
  graph.provenance.extra = { ...graph.provenance.extra, checkpointFormat: bundle.header.format };
  return graph;
}
