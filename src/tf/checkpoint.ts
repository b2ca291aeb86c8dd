/**
 * TF checkpoints as models: one entry point over the byte-level readers and the dialects.
 *
 *   openCheckpoint(files)             → Bundle (V2 `.index` + shards, or V1 shard tables)
 *   inspectCheckpoint(bundle)         → every tensor (name, dtype, shape, shard), all checksums verified
 *   checkpointGraph(files, options)   → IR Graph, from the `.meta` graph, a SavedModel graph, or
 *                                       the user's layer description when there is no graph
 *
 * Bytes in, typed arrays out: Node's file-name conventions live in src/node/checkpoint-files.ts.
 */
import { KconvError } from '../errors.js';
import { readBundle, type Bundle, type BundleEntry } from '../formats/tf-bundle.js';
import { readV1Checkpoint } from '../formats/tf-checkpoint-v1.js';
import { readMetaGraph, readSavedModelGraph, type TfGraph } from '../formats/tf-graph.js';
import type { Graph } from '../ir/graph.js';
import type { TensorBudget } from '../limits.js';
import { graphFromTf1, type Tf1GraphOptions } from './tf1-graph.js';
import { graphFromTf2Checkpoint, OBJECT_GRAPH_KEY } from './tf2-checkpoint.js';
import { graphFromTf1Spec, type Tf1ModelSpec } from './tf1-nometa.js';

export interface CheckpointFiles {
  /** 'v2': `.index` + `.data-*` shards; 'v1': one SSTable per shard (TF <= 0.11). */
  kind: 'v2' | 'v1';
  /** V2 only. */
  index?: Uint8Array;
  /** V2: data shards in order (missing ones undefined); V1: the shard tables. */
  shards: (Uint8Array | undefined)[];
  /** The `.meta` MetaGraphDef, when there is one. */
  meta?: Uint8Array;
  /** A SavedModel's `saved_model.pb`, when the bundle is its `variables/`. */
  savedModel?: Uint8Array;
  /** The prefix or file name, for messages. */
  name?: string;
}

/** Opens a checkpoint's tensors; `budget` (the load's limits and running total) bounds what they may allocate. */
export function openCheckpoint(files: CheckpointFiles, budget?: TensorBudget): Bundle {
  if (files.kind === 'v1') {
    const shards = files.shards.filter((s): s is Uint8Array => s !== undefined);
    if (shards.length !== files.shards.length) throw new KconvError('IO_ERROR', 'a V1 checkpoint shard is missing', { file: files.name });
    return readV1Checkpoint({ shards, name: files.name }, { budget });
  }
  if (!files.index) throw new KconvError('USAGE', 'a V2 checkpoint needs its .index file', { file: files.name });
  return readBundle({ index: files.index, shards: files.shards, name: files.name }, { budget });
}

export interface TensorListing {
  name: string;
  dtype: string;
  shape: number[];
  shard: number;
  bytes: number;
  partitioned: boolean;
}

/** Lists every tensor and verifies every checksum (throws CHECKSUM_MISMATCH naming the first bad tensor). */
export function inspectCheckpoint(bundle: Bundle): { format: 'v1' | 'v2'; numShards: number; endianness: string; tensors: TensorListing[] } {
  bundle.verifyAll();
  const tensors = [...bundle.entries.values()].map((e: BundleEntry) => ({
    name: e.name,
    dtype: e.dtype,
    shape: e.shape,
    shard: e.shardId,
    bytes: e.size,
    partitioned: !!e.slices,
  }));
  return { format: bundle.header.format, numShards: bundle.header.numShards, endianness: bundle.header.endianness, tensors };
}

export interface CheckpointGraphOptions extends Tf1GraphOptions {
  /** The layer description for checkpoints without a graph (see tf1-nometa.ts). */
  layers?: Tf1ModelSpec;
  /** For TF2 object-based checkpoints: the Keras architecture (`model.to_json()`, parsed). */
  architecture?: unknown;
  /** The load's limits and running total (src/limits.ts). */
  budget?: TensorBudget;
}

/** The checkpoint's graph, if it came with one. */
export function checkpointTfGraph(files: CheckpointFiles): TfGraph | undefined {
  if (files.meta) return readMetaGraph(files.meta, { file: files.name ? `${files.name}.meta` : undefined });
  if (files.savedModel) return readSavedModelGraph(files.savedModel, { file: 'saved_model.pb' });
  return undefined;
}

/**
 * A checkpoint as an IR graph: a TF2 object-based checkpoint loaded into `architecture`, a TF1
 * checkpoint described by `layers`, or a TF1 checkpoint with its `.meta` / SavedModel graph.
 */
export function checkpointGraph(files: CheckpointFiles, options: CheckpointGraphOptions = {}): Graph {
  const bundle = openCheckpoint(files, options.budget);
  const objectBased = bundle.entries.has(OBJECT_GRAPH_KEY);
  if (options.architecture !== undefined) {
    if (!objectBased) {
      throw new KconvError('USAGE', 'an architecture loads TF2 object-based checkpoints (with _CHECKPOINTABLE_OBJECT_GRAPH); this is a TF1 name-based checkpoint: give its .meta or describe its layers', { file: files.name });
    }
    return graphFromTf2Checkpoint(bundle, options.architecture, { filename: files.name });
  }
  if (options.layers) return graphFromTf1Spec(bundle, options.layers, options);
  if (objectBased && !files.meta) {
    throw new KconvError('USAGE', 'this is a TF2 object-based checkpoint (model.save_weights / tf.train.Checkpoint): its keys name no layers, so give the architecture (model.to_json())', { file: files.name });
  }
  const graph = checkpointTfGraph(files);
  if (!graph) {
    throw new KconvError(
      'USAGE',
      'this checkpoint has no .meta graph, so its layers are unknown: describe them ({"input": [...], "layers": [...]}) — its tensors can still be listed with inspect',
      { file: files.name },
    );
  }
  return graphFromTf1(graph, bundle, options);
}

/**
 * Sorts a set of files given by name (basename or path → bytes) into a checkpoint: `<p>.index` +
 * `<p>.data-NNNNN-of-NNNNN` (+ `<p>.meta`), a SavedModel's `saved_model.pb` + `variables.*`, or
 * V1 shard tables (`<p>-NNNNN-of-NNNNN` or a single file) with their `.meta`. Names only, no I/O.
 */
export function checkpointFromNamedFiles(named: Map<string, Uint8Array> | Record<string, Uint8Array>): CheckpointFiles {
  const files = named instanceof Map ? named : new Map(Object.entries(named));
  const names = [...files.keys()];
  const indexes = names.filter((n) => n.endsWith('.index'));
  if (indexes.length > 1) throw new KconvError('USAGE', `several checkpoint indexes were given (${indexes.join(', ')}): give the files of one checkpoint`);
  const savedModel = names.find((n) => n === 'saved_model.pb' || n.endsWith('/saved_model.pb'));
  if (indexes.length === 1) {
    const prefix = indexes[0].slice(0, -'.index'.length);
    const data = names
      .map((n) => ({ n, m: /\.data-(\d{5})-of-(\d{5})$/.exec(n) }))
      .filter((x) => x.m && x.n.slice(0, x.n.length - x.m[0].length) === prefix);
    const numShards = data.length > 0 ? Number(data[0].m![2]) : 1;
    const shards: (Uint8Array | undefined)[] = Array.from({ length: numShards }, () => undefined);
    for (const { n, m } of data) shards[Number(m![1])] = files.get(n);
    return {
      kind: 'v2',
      index: files.get(indexes[0]),
      shards,
      meta: files.get(`${prefix}.meta`),
      savedModel: savedModel ? files.get(savedModel) : undefined,
      name: prefix,
    };
  }
  const metaName = names.find((n) => n.endsWith('.meta'));
  const tables = names.filter((n) => n !== metaName && n !== savedModel && !n.endsWith('checkpoint')).sort();
  if (tables.length === 0) throw new KconvError('USAGE', `no checkpoint among the files given (${names.join(', ')}): expected <prefix>.index and its .data files`);
  return { kind: 'v1', shards: tables.map((n) => files.get(n)), meta: metaName ? files.get(metaName) : undefined, name: tables[0].replace(/-\d{5}-of-\d{5}$/, '') };
}

/**
 * A TF1 name-based checkpoint (already opened) as an IR graph, from its graph (`.meta` /
 * SavedModel) or, without one, from the user's description of its layers.
 */
export function readTf1Checkpoint(bundle: Bundle, options: Tf1GraphOptions & { graph?: TfGraph; layers?: Tf1ModelSpec }): Graph {
  if (options.layers) return graphFromTf1Spec(bundle, options.layers, options);
  if (!options.graph) throw new KconvError('USAGE', 'readTf1Checkpoint needs the checkpoint graph (a decoded .meta) or a description of its layers');
  return graphFromTf1(options.graph, bundle, options);
}
