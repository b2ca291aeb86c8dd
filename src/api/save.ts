/**
 * `save`: an IR graph (or a loaded `Model`) out to the bytes of a target format named as in
 * src/model-formats.ts (`kconv convert --to` uses the same names). The writers live in
 * src/keras/write/save.ts.
 */
import { KconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { saveWithReport, type SaveReport } from '../keras/write/save.js';
import { extensionOf, resolveWriteFormat, WRITE_FORMATS, type WriteFormat } from '../model-formats.js';
import { Model } from './model.js';

/** Formats `save` (and `kconv convert --to`) write: the writable names of src/model-formats.ts. */
export const SAVE_FORMATS = WRITE_FORMATS;
/** A writable format name, or (deprecated, accepted with a warning) a kconv 0.1 name. */
export type SaveFormat = WriteFormat | DeprecatedSaveFormat;
/** @deprecated kconv 0.1's names: `keras3` = `keras-v3`, `keras2` = `keras-h5`, `weights` = `keras-v3-weights` (`keras-h5-weights` for a Keras 2 target). */
export type DeprecatedSaveFormat = 'keras3' | 'keras2' | 'weights';

export interface SaveOptions {
  /**
   * `keras-v3`: a `.keras` archive; `keras-h5`: a legacy full-model `.h5`; `keras-v3-weights`: a
   * Keras 3 `.weights.h5`; `keras-h5-weights`: a legacy `save_weights` `.h5`; `kir`: kconv's own
   * IR file (descriptions: MODEL_FORMATS).
   */
  format: SaveFormat;
  /**
   * The Keras version that must load the file: `2.2.4` (standalone Keras), `2.13`/`2.15`
   * (tf.keras), `3.0`, `3.3`... or a writer target id such as `tf_keras`. Defaults: Keras 3 for
   * `keras-v3`/`keras-v3-weights`, tf.keras 2.15 for `keras-h5`/`keras-h5-weights`.
   */
  targetVersion?: string;
}

export interface SaveResult {
  bytes: Uint8Array;
  /** What the target cannot carry and was dropped (e.g. optimizer state). */
  warnings: string[];
}

/** The writer target id for a Keras version: standalone Keras up to 2.3, tf.keras from 2.4, Keras 3. */
export function targetFor(version: string): string {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version);
  if (!m) return version; // a target id such as 'tf_keras' or 'keras-3.2'
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major === 3) return `keras-${version}`;
  if (major === 2 && minor <= 3) return `keras-${version}`;
  if (major === 2) return `tf-keras-2.${minor}`;
  throw new KconvError('USAGE', `target Keras version '${version}' is not one kconv writes (2.x or 3.x)`);
}

/** The canonical format and writer target for `options`, and the warning a deprecated name earns. */
function resolveSave(options: SaveOptions): { format: WriteFormat; target?: string; warning?: string } {
  const v = options.targetVersion;
  const target = v === undefined ? undefined : targetFor(v);
  const resolved = resolveWriteFormat(String(options.format), target === undefined || target.startsWith('keras-3'));
  if (!resolved) {
    throw new KconvError('USAGE', `unknown target format '${String(options.format)}': expected one of ${SAVE_FORMATS.join(', ')}`);
  }
  if (resolved.format === 'kir') return { format: 'kir', warning: resolved.warning };
  const fallback = resolved.format === 'keras-v3' || resolved.format === 'keras-v3-weights' ? 'keras-3' : 'tf-keras-2.15';
  return { ...resolved, target: target ?? fallback };
}

/** The file extension kconv gives a file written with `format` (and `targetVersion`, for a deprecated name). */
export function extensionFor(format: SaveFormat, targetVersion?: string): string {
  return extensionOf(resolveSave({ format, targetVersion }).format);
}

/**
 * Serializes a model, returning with the bytes the graph, format and target the writer used:
 * what src/node/save-file.ts needs to read the written file back and check every weight.
 */
export async function writeModel(model: Model | Graph, options: SaveOptions): Promise<SaveReport & { graph: Graph }> {
  const graph = model instanceof Model ? model.graph : model;
  const { format, target, warning } = resolveSave(options);
  const report = await saveWithReport(graph, { format, target });
  if (warning) report.warnings.unshift(warning);
  return { ...report, graph };
}

/** Serializes a model and reports what was dropped. Throws NOT_REPRESENTABLE when the target cannot express it. */
export async function saveWithWarnings(model: Model | Graph, options: SaveOptions): Promise<SaveResult> {
  const report = await writeModel(model, options);
  return { bytes: report.bytes, warnings: report.warnings };
}

/** Serializes a model to `options.format` (see `SaveOptions`); returns the file's bytes. */
export async function save(model: Model | Graph, options: SaveOptions): Promise<Uint8Array> {
  return (await saveWithWarnings(model, options)).bytes;
}
