/**
 * Legacy HDF5 writers (docs/keras-formats.md §1): the full model (`model.save("x.h5")`) and the
 * weights-only file (`model.save_weights("x.h5")`), in the style of the target Keras:
 * - keras 2.2.4: root attrs as bytes (vlen ASCII), no `top_level_model_weights`, `Model`;
 * - tf.keras / tf_keras: root `keras_version`/`backend` as str (vlen UTF-8), `top_level_model_weights`
 *   from 2.7, weight names `layer/kernel:0`;
 * - Keras 3 (its legacy reader): Keras-3 configs in the legacy container, weight names `kernel`
 *   (3.0–3.2) or `layer/kernel` (3.3+).
 * Name lists are fixed-length byte strings (readable by h5py 2 and 3), chunked above 64512 bytes.
 * Returns the file's bytes; writes no file.
 */
import type { Graph } from '../../ir/graph.js';
import { buildHdf5, type Hdf5Builder } from '../../formats/hdf5-write.js';
import { KconvError } from '../../errors.js';
import { emitModel, type EmittedLayer, type EmittedModel } from '../emit/model.js';
import { checkRepresentable } from '../layers/representable.js';
import { isKeras3, sourceFamily, type Target } from '../targets.js';

export interface WriteResult {
  bytes: Uint8Array;
  /** Path of every dataset written → the graph weight key it holds (for read-back checks). */
  datasets: Map<string, string>;
  warnings: string[];
}

/** Weight names of one top-level entry of `model.layers`, with the graph keys they hold. */
function weightNames(layer: EmittedLayer, model: EmittedModel, target: Target, graph: Graph): { name: string; key: string }[] {
  const k3 = isKeras3(target);
  const suffix = k3 ? '' : ':0';
  if (layer.children) {
    // A nested model: all its sublayers' weights, trainable first, then non-trainable.
    const all: { name: string; key: string; trainable: boolean }[] = [];
    const walk = (l: EmittedLayer, prefix: string[]) => {
      if (l.children) for (const c of l.children) walk(c, [...prefix, c.name]);
      else for (const w of l.weights) all.push({ name: [...prefix, `${w.storedName ?? w.role}${suffix}`].join('/'), key: w.key, trainable: w.trainable });
    };
    for (const c of layer.children) walk(c, k3 && target.version[1] >= 3 ? [layer.name, c.name] : [c.name]);
    return [...all.filter((w) => w.trainable), ...all.filter((w) => !w.trainable)];
  }
  const node = graph.nodes.find((n) => (n.keras?.layerName ?? n.name) === layer.name);
  const original = node?.keras?.weightNames;
  const sameDialect = sourceFamily(graph) === target.family || (sourceFamily(graph) !== 'keras3' && !k3);
  const ordered = [...layer.weights.filter((w) => w.trainable), ...layer.weights.filter((w) => !w.trainable)];
  // a layer whose codec names its weights (MultiHeadAttention's `query/kernel`) is named by it: the
  // source's names may come in another order (a Keras 3 weights file sorts its sub-layers)
  const named = ordered.some((w) => w.storedName !== undefined);
  if (original && sameDialect && !named && original.length === ordered.length && new Set(original).size === original.length && !k3) {
    return ordered.map((w, i) => ({ name: original[i], key: w.key }));
  }
  return ordered.map((w) => {
    let name: string;
    const leaf = w.storedName ?? w.role;
    if (!k3) name = `${layer.name}/${leaf}:0`;
    else if (target.version[1] < 3) name = leaf;
    else name = model.className === 'Sequential' ? `${model.modelName}/${layer.name}/${leaf}` : `${layer.name}/${leaf}`;
    return { name, key: w.key };
  });
}

/** Writes `model.layers`' weight groups under `root` ('' = file root). */
function writeWeightGroups(h5: Hdf5Builder, root: string, model: EmittedModel, target: Target, graph: Graph, datasets: Map<string, string>): void {
  const k3 = isKeras3(target);
  const layerNames = model.layers.map((l) => l.name);
  h5.nameList(root, 'layer_names', layerNames);
  const bytesAttr = (value: string) => ({ kind: 'vlen-ascii' as const, value });
  h5.attr(root, 'backend', k3 ? { kind: 'vlen-utf8', value: 'tensorflow' } : bytesAttr('tensorflow'));
  h5.attr(root, 'keras_version', k3 ? { kind: 'vlen-utf8', value: target.kerasVersion } : bytesAttr(target.kerasVersion));
  const prefix = root ? `${root}/` : '';
  for (const layer of model.layers) {
    const group = `${prefix}${layer.name}`;
    h5.group(group);
    const names = weightNames(layer, model, target, graph);
    h5.nameList(group, 'weight_names', names.map((n) => n.name));
    for (const { name, key } of names) {
      const t = graph.weights.get(key);
      if (!t) throw new KconvError('BAD_WEIGHTS', `layer '${layer.name}' refers to weight '${key}', which the graph does not hold`);
      h5.dataset(`${group}/${name}`, t);
      datasets.set(`${group}/${name}`, key);
    }
  }
  if (hasTopLevelModelWeights(target)) {
    h5.group(`${prefix}top_level_model_weights`);
    h5.nameList(`${prefix}top_level_model_weights`, 'weight_names', []);
  }
}

function hasTopLevelModelWeights(target: Target): boolean {
  return target.family === 'keras3' || (target.family === 'tfkeras' && target.version[1] >= 7);
}

/** Legacy `.h5` full model for `target`. */
export async function writeLegacyH5(graph: Graph, target: Target): Promise<WriteResult> {
  checkRepresentable(graph, target, 'keras-h5');
  const model = emitModel(graph, target, 'legacy');
  const warnings = [...model.warnings];
  const datasets = new Map<string, string>();
  const training = trainingConfigFor(graph, target, warnings);
  const bytes = await buildHdf5((h5) => {
    if (target.family === 'keras2') {
      h5.attr('', 'keras_version', { kind: 'vlen-ascii', value: target.kerasVersion });
      h5.attr('', 'backend', { kind: 'vlen-ascii', value: 'tensorflow' });
    } else {
      h5.attr('', 'keras_version', { kind: 'vlen-utf8', value: target.kerasVersion });
      h5.attr('', 'backend', { kind: 'vlen-utf8', value: 'tensorflow' });
    }
    h5.attr('', 'model_config', { kind: 'vlen-ascii', value: JSON.stringify(model.config) });
    if (training !== undefined) h5.attr('', 'training_config', { kind: 'vlen-ascii', value: JSON.stringify(training) });
    h5.group('model_weights');
    writeWeightGroups(h5, 'model_weights', model, target, graph, datasets);
  });
  return { bytes, datasets, warnings };
}

/** Legacy weights-only `.h5` (`save_weights`) for `target`. Keras 3 reads these through `load_weights`. */
export async function writeLegacyWeightsH5(graph: Graph, target: Target): Promise<WriteResult> {
  checkRepresentable(graph, target, 'keras-h5-weights');
  const model = emitModel(graph, target, 'legacy');
  const datasets = new Map<string, string>();
  const bytes = await buildHdf5((h5) => writeWeightGroups(h5, '', model, target, graph, datasets));
  return { bytes, datasets, warnings: [...model.warnings] };
}

/**
 * `training_config` only travels between files of the same Keras generation: its schema
 * (optimizer and loss configs) is not translated. Otherwise it is dropped with a warning.
 */
function trainingConfigFor(graph: Graph, target: Target, warnings: string[]): unknown {
  const tc = graph.provenance.trainingConfig;
  if (tc === undefined || tc === null) return undefined;
  const legacySource = graph.provenance.format === 'keras-h5';
  if (legacySource && sourceFamily(graph) === target.family) return tc;
  warnings.push(`training_config dropped: it comes from ${graph.provenance.format} (${graph.provenance.kerasVersion ?? 'unknown Keras'}) and kconv does not translate optimizer/loss configs to ${target.id}; recompile after loading`);
  return undefined;
}
