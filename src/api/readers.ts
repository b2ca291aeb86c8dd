/**
 * The one place where the public API meets the format readers: each function takes the bytes of
 * one kind of container and returns an IR Graph. Keeping the adapters here means `load()` reads
 * as a plain dispatch table and a reader's signature change touches one file.
 */
import { KconvError, isKconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { readKir } from '../ir/kir.js';
import { validateGraph } from '../ir/validate.js';
import { loadWeightsInto, readKerasH5File } from '../keras/read/h5.js';
import { listKerasWeightsH5, readKerasArchive, readKerasWeightsH5 } from '../keras/read/v3-archive.js';
import { listLegacyWeights, weightsOnlyGraph } from '../keras/read/weights-only.js';
import { checkpointGraph, type CheckpointFiles } from '../tf/checkpoint.js';
import type { Tf1ModelSpec } from '../tf/tf1-nometa.js';
import type { TensorBudget } from '../limits.js';

export interface ReaderOptions {
  filename?: string;
  /** Backend to assume for files that do not record one (Keras 1): decides whether kernels are flipped. */
  backend?: 'tensorflow' | 'theano';
  /**
   * Architecture, parsed: a Keras `model.to_json()` document for weights-only files and TF2
   * checkpoints, or a TF1 layer description (`{input, layers: [{type, ...}]}`) for a TF1
   * checkpoint saved without its `.meta` graph.
   */
  architecture?: unknown;
  /** The load's limits and the tensor bytes read so far: every reader checks each tensor against it before allocating. */
  budget: TensorBudget;
  /** TF1 checkpoints: the placeholder that is the model input (LoadOptions.inputNode). */
  inputNode?: string;
}

/** HDF5: legacy full-model `.h5`, weights-only `.h5` (with an architecture), Keras 3 `.weights.h5` (with an architecture). */
export async function readHdf5Model(bytes: Uint8Array, options: ReaderOptions): Promise<Graph> {
  const readOptions = { filename: options.filename, backend: options.backend, budget: options.budget };
  let content;
  try {
    content = await readKerasH5File(bytes, readOptions);
  } catch (e) {
    // Not a legacy Keras file: the other HDF5 layout kconv reads is Keras 3's `.weights.h5`.
    if (!isKconvError(e) || e.code !== 'UNSUPPORTED_FORMAT') throw e;
    if (options.architecture === undefined) {
      // A Keras 3 .weights.h5 without its architecture still lists and reads its tensors.
      try {
        return await listKerasWeightsH5(bytes, readOptions);
      } catch (notV3) {
        if (!isKconvError(notV3) || notV3.code !== 'CORRUPT_FILE') throw notV3;
      }
      throw new KconvError(
        'USAGE',
        'this HDF5 file is not a full Keras model; if it is a Keras 3 .weights.h5, give the architecture JSON (model.to_json() or config.json) with the architecture option',
        { file: options.filename, cause: e },
      );
    }
    return readKerasWeightsH5(bytes, options.architecture as Record<string, unknown>, readOptions);
  }
  if (content.kind === 'model') {
    if (options.architecture !== undefined) {
      throw new KconvError('USAGE', 'this .h5 file is a full model (it has its own model_config): do not pass an architecture', { file: options.filename });
    }
    return content.graph;
  }
  if (options.architecture === undefined) {
    // Weights only and no architecture: list and read every tensor; running needs the architecture.
    const w = content.weights;
    return weightsOnlyGraph(listLegacyWeights(w).listed, 'keras-h5-weights', { kerasVersion: w.kerasVersion, backend: w.backend });
  }
  return loadWeightsInto(options.architecture as object, bytes, readOptions);
}

/** Zip: Keras 3 (and tf.keras 2.12–2.15) `.keras` archives. */
export async function readZipModel(bytes: Uint8Array, options: ReaderOptions): Promise<Graph> {
  if (options.architecture !== undefined) {
    throw new KconvError('USAGE', 'a .keras archive carries its own config: do not pass an architecture', { file: options.filename });
  }
  return readKerasArchive(bytes, { filename: options.filename, backend: options.backend, budget: options.budget });
}

/** kconv's own `.kir`. */
export async function readKirModel(bytes: Uint8Array, options: ReaderOptions): Promise<Graph> {
  // A .kir file may come from anywhere: its attributes are data until validated. The Keras readers
  // build nodes through the dialect, which resolves and checks every attribute; here nothing has.
  const graph = readKir(bytes, { budget: options.budget });
  validateGraph(graph);
  return graph;
}

/** A TF1 layer description rather than a Keras architecture. */
function isTf1Spec(a: unknown): a is Tf1ModelSpec {
  if (typeof a !== 'object' || a === null) return false;
  const o = a as Record<string, unknown>;
  return Array.isArray(o.input) && Array.isArray(o.layers) && o.layers.every((l) => typeof l === 'object' && l !== null && typeof (l as Record<string, unknown>).type === 'string');
}

/** TensorFlow checkpoints (V2 index + shards or V1 tables, with an optional `.meta` or SavedModel graph). */
export async function readCheckpointModel(files: CheckpointFiles, options: ReaderOptions): Promise<Graph> {
  const a = options.architecture;
  const common = { budget: options.budget, ...(options.inputNode !== undefined ? { inputNode: options.inputNode } : {}) };
  if (a === undefined) return checkpointGraph(files, common);
  if (options.inputNode !== undefined && !isTf1Spec(a)) {
    throw new KconvError('USAGE', 'inputNode names the input placeholder of a TF1 checkpoint\'s graph; a TF2 checkpoint with an architecture has none', { file: files.name });
  }
  return isTf1Spec(a) ? checkpointGraph(files, { layers: a, ...common }) : checkpointGraph(files, { architecture: a, ...common });
}
