/**
 * `load`: bytes in, a `Model` out. The format is decided by the bytes (extensions lie in the
 * wild: HDF5 files named `.keras` exist), then the matching reader builds the IR graph.
 */
import { KconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { Model } from './model.js';
import { fixInputLengths } from './input-length.js';
import { readCheckpointModel, readHdf5Model, readKirModel, readZipModel, type ReaderOptions } from './readers.js';
import { describeFormat, sniffFormat } from '../formats/sniff.js';
import { checkpointFromNamedFiles, type CheckpointFiles } from '../tf/checkpoint.js';
import { parseJsonSafely, resolveLimits, TensorBudget, type Limits } from '../limits.js';

export interface LoadOptions {
  /** The file name, used in messages and in the report (not for choosing the format). */
  filename?: string;
  /**
   * The backend to assume when the file does not record one (Keras 1 files never do). Theano
   * kernels are flipped on import. Ignored when the file records its backend.
   */
  backend?: 'tensorflow' | 'theano';
  /**
   * The architecture for a weights-only file: `model.to_json()` output as a string, its bytes, or
   * the parsed object.
   */
  architecture?: string | Uint8Array | object;
  /**
   * Safety limits for this load, over the defaults (`DEFAULT_LIMITS`): `maxTotalBytes` caps the
   * tensor data of the whole model (and, when it runs, its weights plus the values of the plan), `maxTensorBytes` one tensor, `maxDecompressionRatio` what a
   * compressed entry or dataset may claim from its stored bytes, `maxBufferBytes` one working
   * buffer when the model runs (`predict`); JSON nesting and string length too. Every size a file
   * declares is checked before anything is allocated; beyond a limit is a `LIMIT_EXCEEDED` error
   * naming the limit. Raise them only for files you trust. A value that is not a positive number,
   * or an unknown name, is a `USAGE` error.
   *
   * @example
   * ```ts
   * await load(bytes, { limits: { maxTotalBytes: 256 * 1024 ** 2 } }); // at most 256 MiB of weights
   * ```
   */
  limits?: Partial<Limits>;
  /**
   * TF1 checkpoints with a `.meta` graph: the name of the placeholder that is the model's input.
   * Needed when the graph has several rank-3 placeholders, as a training graph does (its labels).
   * Any other kind of file refuses it (USAGE).
   */
  inputNode?: string;
}

/**
 * Several files that together make one model, by file name: a TensorFlow checkpoint's
 * `<prefix>.index`, `<prefix>.data-NNNNN-of-NNNNN` and optional `<prefix>.meta` (or a
 * SavedModel's `saved_model.pb` + `variables.*`, or V1 shard tables).
 */
export interface ModelFiles {
  files: Record<string, Uint8Array>;
}

/** A checkpoint whose files are already sorted (what `kconv/node` builds from a prefix or directory). */
export interface CheckpointSource {
  checkpoint: CheckpointFiles;
}

/** What `load` accepts: the bytes of one file, or a set of files (checkpoints). */
export type ModelSource = Uint8Array | ArrayBuffer | ModelFiles | CheckpointSource;

function parseArchitecture(a: LoadOptions['architecture'], limits: Limits): unknown {
  if (a === undefined) return undefined;
  if (typeof a === 'string' || a instanceof Uint8Array) {
    const text = typeof a === 'string' ? a : new TextDecoder().decode(a);
    return parseJsonSafely(text, { where: 'architecture', limits });
  }
  return a;
}

/**
 * Loads a model from its bytes: a Keras `.h5` (any Keras generation, full model or weights-only),
 * a `.keras` archive, a Keras 3 `.weights.h5` (with `architecture`), a TensorFlow checkpoint (as
 * `{files}`), or a kconv `.kir`. Throws a `KconvError` naming what was expected and found.
 */
export async function load(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  if (options.backend !== undefined && options.backend !== 'tensorflow' && options.backend !== 'theano') {
    throw new KconvError('USAGE', `backend must be 'tensorflow' or 'theano', got '${String(options.backend)}'`);
  }
  // Resolved once: every reader of this load checks its tensors against one budget, and the
  // model runs under the same limits.
  if (options.inputNode !== undefined && (typeof options.inputNode !== 'string' || options.inputNode === '')) {
    throw new KconvError('USAGE', `inputNode must be a placeholder name, got ${JSON.stringify(options.inputNode)}`);
  }
  const limits = resolveLimits(options.limits);
  const readerOptions: ReaderOptions = {
    filename: options.filename,
    backend: options.backend,
    architecture: parseArchitecture(options.architecture, limits),
    budget: new TensorBudget(limits),
    ...(options.inputNode !== undefined ? { inputNode: options.inputNode } : {}),
  };
  const filename = options.filename ?? null;
  const model = (graph: Graph) => {
    fixInputLengths(graph);
    return new Model(graph, filename, limits);
  };
  if (!(source instanceof Uint8Array) && !(source instanceof ArrayBuffer)) {
    if (source && typeof source === 'object' && 'checkpoint' in source) {
      return model(await readCheckpointModel(source.checkpoint, readerOptions));
    }
    if (!source || typeof source !== 'object' || typeof source.files !== 'object') {
      throw new KconvError('USAGE', 'load() takes a Uint8Array, an ArrayBuffer, {files: {name: Uint8Array}} or {checkpoint}');
    }
    const files = new Map(Object.entries(source.files));
    if (files.size === 1 && sniffFormat([...files.values()][0]) !== 'tf-index') {
      return load([...files.values()][0], { ...options, filename: options.filename ?? [...files.keys()][0] });
    }
    return model(await readCheckpointModel(checkpointFromNamedFiles(files), readerOptions));
  }
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  if (options.inputNode !== undefined) {
    throw new KconvError('USAGE', 'inputNode names the input placeholder of a TF1 checkpoint; this is a single file, not a checkpoint', { file: options.filename });
  }
  const format = sniffFormat(bytes);
  switch (format) {
    case 'hdf5':
      return model(await readHdf5Model(bytes, readerOptions));
    case 'zip':
      return model(await readZipModel(bytes, readerOptions));
    case 'kir':
      return model(await readKirModel(bytes, readerOptions));
    case 'tf-index':
      throw new KconvError(
        'USAGE',
        'this is a TensorFlow checkpoint index (or V1 table): a checkpoint is several files; pass them all as {files: {name: bytes}} (kconv/node: loadFile(prefix))',
        { file: options.filename },
      );
    default:
      throw new KconvError(
        'UNSUPPORTED_FORMAT',
        `expected a Keras model (.h5/.hdf5, .keras, .weights.h5), a TensorFlow checkpoint or a .kir file, found ${bytes.length === 0 ? 'an empty file (0 bytes: an interrupted download or copy?)' : describeFormat(format)}` +
          (format === 'json' ? ' (an architecture JSON needs its weights file: load the weights and pass the JSON as the `architecture` option)' : ''),
        { file: options.filename },
      );
  }
}
