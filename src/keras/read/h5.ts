/**
 * Legacy Keras HDF5 files (`model.save("x.h5")`, `save_weights("x.h5")`) of every writer: Keras
 * 1.x, standalone Keras 2.0–2.3, tf.keras, tf_keras and Keras 3's legacy writer
 * (docs/keras-formats.md §1).
 *
 * - Full model: root attribute `model_config` (JSON), weights under `/model_weights`.
 * - Weights only: `layer_names` at the root, no config. Weights are listable and readable by
 *   layer name; `loadWeightsInto` joins them with an architecture (a `to_json()` document or
 *   another model file) by layer name, refusing any missing, extra or mis-shaped weight.
 *
 * Weights are always found through each layer group's `weight_names` (paths relative to the
 * layer group, which differ by writer: `conv1d/kernel:0`, `convolution1d_1_W`, `kernel`,
 * `sequential/conv1d/kernel`), never by guessing paths; layer order comes from `layer_names`.
 */
import { KconvError } from '../../errors.js';
import type { ModelFormat } from '../../model-formats.js';
import type { Graph } from '../../ir/graph.js';
import { isHdf5, joinPath, openHdf5, type Hdf5File } from '../../formats/hdf5.js';
import { isObject } from '../config-values.js';
import { generationFromConfig, generationOf, type KerasGeneration, type ReadOptions } from '../generation.js';
import type { StoredWeight } from '../layers/index.js';
import { graphFromKerasConfig, type LayerWeightSource } from '../model-config.js';
import { parseJsonSafely } from '../../limits.js';

/** The weights of a legacy .h5 file (the `model_weights` group of a model, or a weights-only file). */
export interface KerasH5Weights {
  /** Layer names in model order (`layer_names`), including layers without weights. */
  layerNames: string[];
  kerasVersion?: string;
  /** The backend recorded in the file, if any. */
  backend?: string;
  /** The stored weights of a layer, in Keras's order; [] for a layer without weights; undefined for an unknown name. */
  layer(name: string): StoredWeight[] | undefined;
}

export type KerasH5Content = { kind: 'model'; graph: Graph } | { kind: 'weights'; weights: KerasH5Weights };

/** Reads a legacy Keras .h5 file of any generation: a full model or a weights-only file. */
export async function readKerasH5File(bytes: Uint8Array, options: ReadOptions = {}): Promise<KerasH5Content> {
  const file = await openHdf5(bytes, options.filename, { budget: options.budget });
  try {
    if (file.hasAttr('/', 'model_config')) return { kind: 'model', graph: modelFromFile(file, options) };
    if (file.chunkedAttr('/', 'layer_names') !== undefined) return { kind: 'weights', weights: readWeightsGroup(file, '/') };
    throw new KconvError(
      'UNSUPPORTED_FORMAT',
      `HDF5 file is not a legacy Keras file: expected a 'model_config' or 'layer_names' attribute at the root, found attributes [${file.attrNames('/').join(', ')}] and members [${file.keys('/').join(', ')}]`,
      { where: '/', file: options.filename },
    );
  } finally {
    file.close();
  }
}

/** Reads a full-model legacy .h5 file into a Graph. A weights-only file is refused with a hint. */
export async function readKerasH5(bytes: Uint8Array, options: ReadOptions = {}): Promise<Graph> {
  const content = await readKerasH5File(bytes, options);
  if (content.kind === 'model') return content.graph;
  throw new KconvError(
    'BAD_CONFIG',
    'this .h5 file holds weights only (layer_names at the root, no model_config): load it with an architecture (loadWeightsInto), or list its weights (readKerasH5Weights)',
    { where: '/', file: options.filename },
  );
}

/** Reads the weights of a legacy .h5 file: a weights-only file, or a full model's `model_weights`. */
export async function readKerasH5Weights(bytes: Uint8Array, options: ReadOptions = {}): Promise<KerasH5Weights> {
  const file = await openHdf5(bytes, options.filename, { budget: options.budget });
  try {
    if (file.chunkedAttr('/', 'layer_names') !== undefined) return readWeightsGroup(file, '/');
    if (file.isGroup('/model_weights')) return readWeightsGroup(file, '/model_weights');
    throw new KconvError('UNSUPPORTED_FORMAT', "no Keras weights here: expected 'layer_names' at the root or a 'model_weights' group", { where: '/', file: options.filename });
  } finally {
    file.close();
  }
}

/**
 * Builds the model described by `architecture` (a `to_json()` document as text/bytes/object, or
 * the bytes of another legacy .h5 model file) with the weights of `weightsBytes`, matched by layer
 * name. Missing, extra and mis-shaped weights are BAD_WEIGHTS errors naming the layer.
 */
export async function loadWeightsInto(architecture: Uint8Array | string | object, weightsBytes: Uint8Array, options: ReadOptions = {}): Promise<Graph> {
  const weights = await readKerasH5Weights(weightsBytes, options);
  let modelConfig: unknown;
  let archVersion: string | undefined;
  if (architecture instanceof Uint8Array && isHdf5(architecture)) {
    const file = await openHdf5(architecture, 'architecture', { budget: options.budget });
    try {
      modelConfig = parseJsonAttr(file, 'model_config');
      archVersion = file.stringAttr('/', 'keras_version');
    } finally {
      file.close();
    }
  } else {
    const text = architecture instanceof Uint8Array ? new TextDecoder().decode(architecture) : architecture;
    modelConfig = typeof text === 'string' ? parseJsonSafely(text, { where: 'architecture' }) : text;
    if (isObject(modelConfig) && typeof modelConfig.keras_version === 'string') archVersion = modelConfig.keras_version;
  }
  const version = archVersion ?? weights.kerasVersion;
  const generation = options.generation ?? (version !== undefined ? generationOf(version) : weights.kerasVersion === undefined ? 'keras1' : generationFromConfig(modelConfig));
  const recorded = weights.backend ?? (isObject(modelConfig) && typeof modelConfig.backend === 'string' ? modelConfig.backend : undefined);
  const source = new TrackedSource(weights, 'the weights file');
  const graph = build(modelConfig, source, generation, recorded, version, 'keras-h5-weights', options);
  source.checkAllUsed();
  return graph;
}

function parseJsonAttr(file: Hdf5File, name: string): unknown {
  const text = file.stringAttr('/', name);
  if (text === undefined) throw new KconvError('BAD_CONFIG', `expected a '${name}' attribute`, { where: `/@${name}`, file: file.name });
  return parseJsonSafely(text, { where: `/@${name}`, file: file.name });
}

function modelFromFile(file: Hdf5File, options: ReadOptions): Graph {
  const modelConfig = parseJsonAttr(file, 'model_config');
  const weightsRoot = file.isGroup('/model_weights') ? '/model_weights' : undefined;
  const weights: KerasH5Weights = weightsRoot ? readWeightsGroup(file, weightsRoot) : { layerNames: [], layer: () => undefined };
  const version = file.stringAttr('/', 'keras_version') ?? weights.kerasVersion;
  const backend = file.stringAttr('/', 'backend') ?? weights.backend;
  const generation = options.generation ?? generationOf(version);
  const source = new TrackedSource(weights, weightsRoot ?? '/model_weights');
  const graph = build(modelConfig, source, generation, backend, version, 'keras-h5', options);
  source.checkAllUsed();
  if (file.hasAttr('/', 'training_config')) {
    const text = file.stringAttr('/', 'training_config')!;
    try {
      graph.provenance.trainingConfig = parseJsonSafely(text, { where: '/@training_config', file: file.name });
    } catch {
      graph.provenance.trainingConfig = text;
      graph.provenance.warnings.push("'training_config' is not JSON; kept as text");
    }
  }
  if (file.isGroup('/optimizer_weights')) {
    graph.provenance.extra = { ...graph.provenance.extra, optimizerWeightNames: file.chunkedAttr('/optimizer_weights', 'weight_names') ?? [] };
  }
  return graph;
}

function build(
  modelConfig: unknown,
  source: LayerWeightSource,
  generation: KerasGeneration,
  recordedBackend: string | undefined,
  kerasVersion: string | undefined,
  format: ModelFormat,
  options: ReadOptions,
): Graph {
  const warnings: string[] = [];
  let backend = recordedBackend;
  if (backend === undefined) {
    backend = options.backend ?? 'tensorflow';
    warnings.push(
      options.backend
        ? `the file does not record its backend; using '${backend}' as requested`
        : `the file does not record its backend; assuming '${backend}' (pass the backend option, e.g. 'theano', if it was written under another: Theano kernels must be flipped)`,
    );
  } else if (options.backend && options.backend !== backend) {
    warnings.push(`the file records backend '${backend}', which overrides the requested '${options.backend}'`);
  }
  const graph = graphFromKerasConfig(modelConfig, source, { ...options, generation, backend });
  const p = graph.provenance;
  p.format = format;
  if (kerasVersion !== undefined) p.kerasVersion = kerasVersion;
  if (recordedBackend !== undefined) p.backend = recordedBackend;
  else p.assumedBackend = backend;
  p.warnings = [...warnings, ...p.warnings];
  p.extra = { ...p.extra, generation };
  return graph;
}

/** Reads `layer_names` and every layer's weights (via `weight_names`) under `root`. */
function readWeightsGroup(file: Hdf5File, root: string): KerasH5Weights {
  const layerNames = stringList(file, root, 'layer_names');
  const byLayer = new Map<string, StoredWeight[]>();
  for (const layer of layerNames) {
    const group = joinPath(root, layer);
    if (!file.isGroup(group)) throw new KconvError('CORRUPT_FILE', `layer '${layer}' is listed in layer_names but has no group`, { where: group, file: file.name });
    const names = stringList(file, group, 'weight_names');
    byLayer.set(
      layer,
      names.map((name) => {
        const where = joinPath(group, name);
        return { name, tensor: file.dataset(where), where };
      }),
    );
  }
  const kerasVersion = file.stringAttr(root, 'keras_version') ?? (root !== '/' ? file.stringAttr('/', 'keras_version') : undefined);
  const backend = file.stringAttr(root, 'backend') ?? (root !== '/' ? file.stringAttr('/', 'backend') : undefined);
  return { layerNames, kerasVersion, backend, layer: (name) => byLayer.get(name) };
}

function stringList(file: Hdf5File, path: string, name: string): string[] {
  const v = file.chunkedAttr(path, name);
  if (v === undefined) return [];
  if (!v.every((x): x is string => typeof x === 'string')) {
    throw new KconvError('CORRUPT_FILE', `expected '${name}' to be a list of strings, found ${JSON.stringify(v).slice(0, 80)}`, { where: `${path}@${name}`, file: file.name });
  }
  return v;
}

/**
 * Serves layer weights by name and remembers what was used, so that weights no layer of the
 * config claimed are reported instead of silently dropped.
 *
 * Nested models (docs/keras-formats.md §1.4): a nested model is one entry of `layer_names` whose
 * `weight_names` lists all its sublayers' weights; a sublayer's weights are those whose name has
 * the sublayer's name as the component before the variable name
 * (`model/sequential/conv1d/kernel:0`, `sequential/conv1d/kernel`).
 */
class TrackedSource implements LayerWeightSource {
  private used = new Set<string>(); // where of each served weight

  constructor(
    private readonly weights: KerasH5Weights,
    private readonly label: string,
  ) {}

  layerWeights(layerName: string, scope: string[]): StoredWeight[] | undefined {
    let list: StoredWeight[] | undefined;
    if (scope.length === 0) {
      list = this.weights.layer(layerName);
    } else {
      const all = this.weights.layer(scope[0]) ?? [];
      list = all.filter((w) => {
        const parts = w.name.split('/');
        return parts.length >= 2 && parts[parts.length - 2] === layerName;
      });
    }
    list?.forEach((w) => this.used.add(w.where ?? w.name));
    return list;
  }

  checkAllUsed(): void {
    for (const layer of this.weights.layerNames) {
      const unused = (this.weights.layer(layer) ?? []).filter((w) => !this.used.has(w.where ?? w.name));
      if (unused.length > 0) {
        throw new KconvError(
          'BAD_WEIGHTS',
          `${this.label} has weights that no layer of the architecture takes: layer '${layer}' [${unused.map((w) => w.name).join(', ')}]`,
          { where: unused[0].where ?? layer },
        );
      }
    }
  }
}
