/**
 * Keras v3 saves: the `.keras` zip archive (Keras 3, and tf.keras 2.12–2.15 "Keras v3 format") or
 * its unzipped directory form (Keras 3.15 `zipped=False`), a standalone `.weights.h5` loaded into
 * an architecture, and sharded `.weights.json` weights.
 * Facts: docs/keras-formats.md §2.
 *
 * Reading a `.keras` archive:
 * 1. sniff the bytes: an HDF5 file named `.keras` (they exist) is read as a legacy `.h5` model;
 * 2. open the zip (bounded, in memory: src/formats/zip.ts);
 * 3. `metadata.json` → keras_version; `config.json` → the model config;
 * 4. `model.weights.h5` (or a plain-array `model.weights.npz`) → the object tree of variables,
 *    matched to the layers of the config (v3-weights.ts);
 * 5. the shared Keras dialect (model-config.ts) builds the IR graph, taking each layer's weights
 *    from that match. Variables no layer claimed are reported in provenance warnings.
 */
import { KconvError } from '../../errors.js';
import type { ModelFormat } from '../../model-formats.js';
import { openHdf5, type Hdf5File } from '../../formats/hdf5.js';
import { readNpz } from '../../formats/npz.js';
import { describeFormat, sniffFormat } from '../../formats/sniff.js';
import { openZip, zipLimitsFrom } from '../../formats/zip.js';
import { TensorBudget } from '../../limits.js';
import type { Graph } from '../../ir/graph.js';
import type { KerasGeneration, ReadOptions } from '../generation.js';
import { readKerasH5 } from './h5.js';
import { graphFromKerasConfig } from '../model-config.js';
import { parseJsonDocument, readMetadata, readModelDocument, readShardIndex, v3Generation, type KerasMetadata, type KerasModelDocument } from './v3-config.js';
import { listV3Weights, weightsOnlyGraph } from './weights-only.js';
import { mergeWeightTrees, V3WeightMap, weightTreeFromArrays, weightTreeFromHdf5, type V3Group } from './v3-weights.js';

/** Options of the Keras v3 readers; `budget` (ReadOptions) also bounds the zip reader (src/formats/zip.ts). */
export type KerasArchiveOptions = ReadOptions;

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS_H5 = 'model.weights.h5';
const WEIGHTS_NPZ = 'model.weights.npz';

/** Reads a `.keras` file (any Keras 3 release, or tf.keras 2.12–2.15) into an IR graph. */
export async function readKerasArchive(bytes: Uint8Array, options: KerasArchiveOptions = {}): Promise<Graph> {
  const file = options.filename;
  const format = sniffFormat(bytes);
  if (format === 'hdf5') {
    const graph = await readKerasH5(bytes, options);
    graph.provenance.warnings.push(`${file ?? 'the file'} is an HDF5 (legacy .h5) model despite its name; it was read as HDF5`);
    return graph;
  }
  if (format !== 'zip') {
    throw new KconvError('UNSUPPORTED_FORMAT', `expected a .keras zip archive (or an HDF5 model), found ${describeFormat(format)}`, { file });
  }
  // One budget for the whole archive: the zip's caps come from its limits, and the tensors of
  // model.weights.h5 count against its total.
  const budget = options.budget ?? new TensorBudget();
  options = { ...options, budget };
  const zip = openZip(bytes, { limits: zipLimitsFrom(budget.limits), file });
  return readKerasSave(
    {
      names: zip.entries.map((e) => e.name),
      has: (name) => zip.entry(name) !== undefined,
      read: (name) => zip.read(name),
      describe: 'a .keras archive',
    },
    options,
  );
}

/**
 * Reads the files of a Keras 3.15+ unzipped save (`model.save(dir, zipped=False)`: a directory
 * holding the same config.json, metadata.json and model.weights.h5), given by name.
 */
export async function readKerasDirectory(files: Record<string, Uint8Array>, options: KerasArchiveOptions = {}): Promise<Graph> {
  return readKerasSave(
    { names: Object.keys(files), has: (name) => name in files, read: (name) => files[name], describe: 'an unzipped Keras save' },
    options,
  );
}

/** The members of a Keras v3 save, from a zip archive or a directory. */
interface KerasSaveFiles {
  names: string[];
  has(name: string): boolean;
  read(name: string): Uint8Array;
  /** For messages: 'a .keras archive'. */
  describe: string;
}

async function readKerasSave(files: KerasSaveFiles, options: KerasArchiveOptions): Promise<Graph> {
  const file = options.filename;
  const found = `found only [${files.names.join(', ')}]`;
  const warnings: string[] = [];
  let metadata: KerasMetadata | undefined;
  if (files.has(METADATA)) metadata = readMetadata(parseJsonDocument(files.read(METADATA), METADATA, 'BAD_CONFIG', file), file);
  else warnings.push(`the save has no ${METADATA}: the Keras version is guessed from the config`);
  if (!files.has(CONFIG)) {
    throw new KconvError('CORRUPT_FILE', `expected ${files.describe} holding the model config '${CONFIG}', ${found}`, { file, where: CONFIG });
  }
  const doc = readModelDocument(parseJsonDocument(files.read(CONFIG), CONFIG, 'BAD_CONFIG', file), CONFIG, file);
  const kerasVersion = metadata?.kerasVersion ?? doc.kerasVersion;
  const build = (tree: V3Group) => {
    const graph = buildGraph(doc, tree, kerasVersion, options, 'keras-v3', warnings);
    graph.provenance.extra = { ...graph.provenance.extra, metadata: metadata?.raw, archiveEntries: files.names };
    return graph;
  };

  if (files.has(WEIGHTS_H5)) {
    const h5 = await openHdf5(files.read(WEIGHTS_H5), file ? `${file}/${WEIGHTS_H5}` : WEIGHTS_H5, { budget: options.budget });
    try {
      return build(weightTreeFromHdf5(h5));
    } finally {
      h5.close();
    }
  }
  if (files.has(WEIGHTS_NPZ)) {
    return build(weightTreeFromArrays(readNpz(files.read(WEIGHTS_NPZ), { file: WEIGHTS_NPZ, budget: options.budget }), WEIGHTS_NPZ));
  }
  throw new KconvError('CORRUPT_FILE', `expected the weights '${WEIGHTS_H5}' (or '${WEIGHTS_NPZ}') in ${files.describe}, ${found}`, { file });
}

/**
 * A Keras-v3-layout weights file without its architecture: every variable listed and readable by
 * layer (src/keras/read/weights-only.ts). CORRUPT_FILE when the HDF5 file does not have that layout.
 */
export async function listKerasWeightsH5(bytes: Uint8Array, options: KerasArchiveOptions = {}): Promise<Graph> {
  const h5 = await openHdf5(bytes, options.filename, { budget: options.budget });
  try {
    return weightsOnlyGraph(listV3Weights(weightTreeFromHdf5(h5)), 'keras-v3-weights', {});
  } finally {
    h5.close();
  }
}

/** An architecture: `config.json` / `model.to_json()` text or bytes, or the parsed object. */
export type Architecture = Uint8Array | string | Record<string, unknown>;

function readArchitecture(architecture: Architecture, file?: string): KerasModelDocument {
  const doc = typeof architecture === 'string' || architecture instanceof Uint8Array ? parseJsonDocument(architecture, 'architecture', 'BAD_CONFIG', file) : architecture;
  return readModelDocument(doc, 'architecture', file);
}

/**
 * Loads a Keras-v3-layout weights file (`model.save_weights("x.weights.h5")`: Keras 3, or tf.keras
 * 2.13+ for that suffix) into an architecture. Legacy weights-only `.h5` files (root `layer_names`)
 * are a different format and are refused here with a pointer to the right reader.
 */
export async function readKerasWeightsH5(bytes: Uint8Array, architecture: Architecture, options: KerasArchiveOptions = {}): Promise<Graph> {
  const file = options.filename;
  const format = sniffFormat(bytes);
  if (format !== 'hdf5') throw new KconvError('UNSUPPORTED_FORMAT', `expected a .weights.h5 (HDF5) file, found ${describeFormat(format)}`, { file });
  const doc = readArchitecture(architecture, file);
  const h5 = await openHdf5(bytes, file, { budget: options.budget });
  try {
    if (h5.hasAttr('/', 'layer_names') || h5.hasAttr('/', 'layer_names0') || h5.hasAttr('/', 'model_config')) {
      throw new KconvError(
        'UNSUPPORTED_FORMAT',
        'expected a Keras v3 weights file (groups layers/…/vars), found a legacy Keras HDF5 file (layer_names / model_config at its root): read it as a legacy .h5',
        { file, where: '/' },
      );
    }
    return buildGraph(doc, weightTreeFromHdf5(h5), doc.kerasVersion, options, 'keras-v3-weights', []);
  } finally {
    h5.close();
  }
}

/**
 * Loads sharded weights (Keras ≥ 3.10 `save_weights("x.weights.json", max_shard_size=…)`): the
 * JSON index plus its shard files by name (`x_00000.weights.h5`, …).
 */
export async function readKerasShardedWeights(
  index: Uint8Array | string,
  shards: Record<string, Uint8Array>,
  architecture: Architecture,
  options: KerasArchiveOptions = {},
): Promise<Graph> {
  const file = options.filename;
  const names = readShardIndex(parseJsonDocument(index, 'weights index', 'BAD_CONFIG', file), file);
  const doc = readArchitecture(architecture, file);
  const opened: Hdf5File[] = [];
  try {
    const trees: V3Group[] = [];
    for (const name of names) {
      const shard = shards[name];
      if (!shard) throw new KconvError('IO_ERROR', `the weights index names the shard '${name}', which was not given (given: [${Object.keys(shards).join(', ')}])`, { file });
      const h5 = await openHdf5(shard, name, { budget: options.budget });
      opened.push(h5);
      trees.push(weightTreeFromHdf5(h5, { partial: true }));
    }
    return buildGraph(doc, mergeWeightTrees(trees, file), doc.kerasVersion, options, 'keras-v3-sharded-weights', []);
  } finally {
    for (const h5 of opened) h5.close();
  }
}

/** The shared step: match stored variables to layers, build the graph, record provenance. */
function buildGraph(doc: KerasModelDocument, tree: V3Group, kerasVersion: string | undefined, options: KerasArchiveOptions, format: ModelFormat, warnings: string[]): Graph {
  const generation: KerasGeneration = options.generation ?? v3Generation(kerasVersion, doc.model);
  const weights = new V3WeightMap(tree, doc.model, { generation: generation === 'keras3' ? 3 : 2, ...(kerasVersion !== undefined ? { kerasVersion } : {}) });
  const graph = graphFromKerasConfig(doc.model, weights, { ...options, generation, kerasVersion: kerasVersion ?? options.kerasVersion });
  const unclaimed = weights.unclaimedVariables();
  const p = graph.provenance;
  p.format = format;
  if (kerasVersion !== undefined) p.kerasVersion = kerasVersion;
  if (doc.backend !== undefined) p.backend = doc.backend;
  if (doc.trainingConfig !== undefined) p.trainingConfig = doc.trainingConfig;
  p.warnings.push(...warnings);
  if (unclaimed.length > 0) p.warnings.push(`variables in the weights file that no layer of the config uses: ${unclaimed.join(', ')}`);
  if (doc.moduleQuirk) p.warnings.push("config written by Keras 3.0.0/3.0.1 (private 'module' names): classes were resolved by class_name");
  return graph;
}
