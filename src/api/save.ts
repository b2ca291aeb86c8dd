/**
 * `save`: an IR graph (or a loaded `Model`) out to the bytes of a target format named as in
 * src/model-formats.ts (`kconv convert --to` uses the same names). The writers live in
 * src/keras/write/save.ts.
 */
import { KconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { saveWithReport, type SaveReport } from '../keras/write/save.js';
import { extensionOf, resolveWriteFormat, WRITE_FORMATS, type WriteFormat } from '../model-formats.js';
import { requireInputLengths } from './input-length.js';
import { keras3LoadRange, saveForOldestKeras3 } from './keras3-target.js';
import { Model } from './model.js';
import { targetFor } from './target-version.js';

export { targetFor };

/** Formats `save` (and `kconv convert --to`) write: the writable names of src/model-formats.ts. */
export const SAVE_FORMATS = WRITE_FORMATS;
/** A writable format name, or (deprecated, accepted with a warning) a kconv 0.1 name. */
export type SaveFormat = WriteFormat | DeprecatedSaveFormat;
/** @deprecated kconv 0.1's names: `keras3` = `keras-v3`, `keras2` = `keras-h5`, `weights` = `keras-v3-weights` (`keras-h5-weights` for a Keras 2 target). */
export type DeprecatedSaveFormat = 'keras3' | 'keras2' | 'weights';

export interface SaveOptions {
  /**
   * `keras-v3`: a `.keras` archive (the default); `keras-h5`: a legacy full-model `.h5`;
   * `keras-v3-weights`: a Keras 3 `.weights.h5`; `keras-h5-weights`: a legacy `save_weights`
   * `.h5`; `kir`: kconv's own IR file; `onnx`: an ONNX model, at the lowest opset that holds it
   * (docs/onnx.md; no `targetVersion`) (descriptions: MODEL_FORMATS).
   */
  format?: SaveFormat;
  /**
   * The Keras version that must load the file: `2.2.4` (standalone Keras), `2.13`/`2.15`
   * (tf.keras), `3.0`, `3.3`... or a writer target id such as `tf_keras`. Defaults: for
   * `keras-v3`/`keras-v3-weights`, the oldest Keras 3 that holds the model (so the file loads in
   * that Keras 3 and every later one; `SaveResult.loadsIn` says which); tf.keras 2.15 for
   * `keras-h5`/`keras-h5-weights`.
   */
  targetVersion?: string;
}

export interface SaveResult {
  bytes: Uint8Array;
  /** What the target cannot carry and was dropped (e.g. optimizer state). */
  warnings: string[];
  /** The Keras version the file was written for (`3.0`, `2.15`...); absent for `.kir`. */
  target?: string;
  /** For Keras 3 files: the Keras versions that load it, e.g. `Keras 3.0 to 3.15`. */
  loadsIn?: string;
}

/**
 * The canonical format and writer target for `options` (target undefined: a Keras 3 format with
 * no version asked for, i.e. the oldest Keras 3 that holds the model), and the warning a
 * deprecated name earns.
 */
function resolveSave(options: SaveOptions): { format: WriteFormat; target?: string; warning?: string } {
  const v = options.targetVersion;
  const target = v === undefined ? undefined : targetFor(v);
  const resolved = resolveWriteFormat(String(options.format ?? 'keras-v3'), target === undefined || target.startsWith('keras-3'));
  if (!resolved) {
    throw new KconvError('USAGE', `unknown target format '${String(options.format)}': expected one of ${SAVE_FORMATS.join(', ')}`);
  }
  if (resolved.format === 'kir') return { format: 'kir', warning: resolved.warning };
  if (resolved.format === 'onnx') {
    if (v !== undefined) {
      throw new KconvError('USAGE', `a target version applies to Keras formats, not onnx (got '${v}'): the ONNX export records the lowest opset that holds the model`);
    }
    return { format: 'onnx' };
  }
  const keras3 = resolved.format === 'keras-v3' || resolved.format === 'keras-v3-weights';
  return { ...resolved, target: target ?? (keras3 ? undefined : 'tf-keras-2.15') };
}

/** The file extension kconv gives a file written with `format` (and `targetVersion`, for a deprecated name). */
export function extensionFor(format: SaveFormat, targetVersion?: string): string {
  return extensionOf(resolveSave({ format, targetVersion }).format);
}

/** What `writeModel` returns: the writer's report, the graph written, and the Keras versions that load it. */
export type WrittenModel = SaveReport & { graph: Graph; targetVersion?: string; loadsIn?: string };

/**
 * Serializes a model, returning with the bytes the graph, format and target the writer used:
 * what src/node/save-file.ts needs to read the written file back and check every weight.
 */
export async function writeModel(model: Model | Graph, options: SaveOptions = {}): Promise<WrittenModel> {
  const graph = model instanceof Model ? model.graph : model;
  const { format, target, warning } = resolveSave(options);
  if (format !== 'kir') requireInputLengths(graph);
  const report = format !== 'kir' && target === undefined ? await saveForOldestKeras3(graph, format) : await saveWithReport(graph, { format, target });
  if (warning) report.warnings.unshift(warning);
  const t = report.target;
  if (!t) return { ...report, graph };
  const targetVersion = t.family === 'keras3' ? `3.${t.version[1]}` : t.family === 'tfkeras' ? `2.${t.version[1]}` : t.kerasVersion;
  return { ...report, graph, targetVersion, ...(t.family === 'keras3' ? { loadsIn: keras3LoadRange(t.version[1]) } : {}) };
}

/** Serializes a model and reports what was dropped. Throws NOT_REPRESENTABLE when the target cannot express it. */
export async function saveWithWarnings(model: Model | Graph, options: SaveOptions = {}): Promise<SaveResult> {
  const report = await writeModel(model, options);
  const result: SaveResult = { bytes: report.bytes, warnings: report.warnings };
  if (report.targetVersion) result.target = report.targetVersion;
  if (report.loadsIn) result.loadsIn = report.loadsIn;
  return result;
}

/** Serializes a model to `options.format` (see `SaveOptions`, default a `.keras` archive); returns the file's bytes. */
export async function save(model: Model | Graph, options: SaveOptions = {}): Promise<Uint8Array> {
  return (await saveWithWarnings(model, options)).bytes;
}
