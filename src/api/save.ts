/**
 * `save`: an IR graph (or a loaded `Model`) out to the bytes of a target format, with the
 * user-facing names `kconv convert --to` uses. The writers live in src/keras/save.ts.
 */
import { KconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { saveWithReport, type SaveFormat as WriterFormat } from '../keras/save.js';
import { keras3LoadRange, saveForOldestKeras3 } from './keras3-target.js';
import { requireInputLengths } from './input-length.js';
import { Model } from './model.js';
import { targetFor } from './target-version.js';

export { targetFor };

/** Target formats `save` (and `kconv convert --to`) can write. */
export const SAVE_FORMATS = ['keras3', 'keras2', 'weights', 'kir'] as const;
export type SaveFormat = (typeof SAVE_FORMATS)[number];

export interface SaveOptions {
  /**
   * `keras3`: a `.keras` archive; `keras2`: a legacy full-model `.h5`; `weights`: weights only
   * (Keras 3 `.weights.h5`, or a legacy `save_weights` `.h5` when `targetVersion` is 2.x);
   * `kir`: kconv's own IR file. Default: `keras3`.
   */
  format?: SaveFormat;
  /**
   * The Keras version that must load the file: `2.2.4` (standalone Keras), `2.13`/`2.15`
   * (tf.keras), `3.0`, `3.3`... or a writer target id such as `tf_keras`. Defaults: for
   * `keras3`/`weights`, the oldest Keras 3 that holds the model (so the file loads in that Keras 3
   * and every later one; `SaveResult.loadsIn` says which); tf.keras 2.15 for `keras2`.
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

/** The file extension kconv uses for each target format. */
export function extensionFor(format: SaveFormat, targetVersion?: string): string {
  switch (format) {
    case 'keras3':
      return '.keras';
    case 'keras2':
      return '.h5';
    case 'weights':
      return targetVersion?.startsWith('2') ? '.h5' : '.weights.h5';
    case 'kir':
      return '.kir';
  }
}

function writerFormat(options: SaveOptions): { format: WriterFormat; target?: string } {
  const v = options.targetVersion;
  switch (options.format ?? 'keras3') {
    case 'keras3':
      return { format: 'keras', target: v === undefined ? undefined : targetFor(v) };
    case 'keras2':
      return { format: 'h5', target: v === undefined ? 'tf-keras-2.15' : targetFor(v) };
    case 'weights':
      if (v === undefined) return { format: 'weights-h5', target: undefined };
      return targetFor(v).startsWith('keras-3') ? { format: 'weights-h5', target: targetFor(v) } : { format: 'h5-weights', target: targetFor(v) };
    case 'kir':
      return { format: 'kir' };
  }
}

/** Serializes a model and reports what was dropped. Throws NOT_REPRESENTABLE when the target cannot express it. */
export async function saveWithWarnings(model: Model | Graph, options: SaveOptions = {}): Promise<SaveResult> {
  const graph = model instanceof Model ? model.graph : model;
  if (options.format !== undefined && !SAVE_FORMATS.includes(options.format)) {
    throw new KconvError('USAGE', `unknown target format '${String(options.format)}': expected one of ${SAVE_FORMATS.join(', ')}`);
  }
  const { format, target } = writerFormat(options);
  if (format === 'kir') {
    const report = await saveWithReport(graph, { format });
    return { bytes: report.bytes, warnings: report.warnings };
  }
  requireInputLengths(graph);
  if (target === undefined) {
    // A Keras 3 format with no version asked for: the oldest Keras 3 that holds the model.
    const report = await saveForOldestKeras3(graph, format);
    return { bytes: report.bytes, warnings: report.warnings, target: `3.${report.minor}`, loadsIn: keras3LoadRange(report.minor) };
  }
  const report = await saveWithReport(graph, { format, target });
  const t = report.target!;
  const version = t.family === 'keras3' ? `3.${t.version[1]}` : t.family === 'tfkeras' ? `2.${t.version[1]}` : t.kerasVersion;
  return { bytes: report.bytes, warnings: report.warnings, target: version, ...(t.family === 'keras3' ? { loadsIn: keras3LoadRange(t.version[1]) } : {}) };
}

/** Serializes a model to `options.format` (see `SaveOptions`); returns the file's bytes. */
export async function save(model: Model | Graph, options: SaveOptions = {}): Promise<Uint8Array> {
  return (await saveWithWarnings(model, options)).bytes;
}
