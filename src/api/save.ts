/**
 * `save`: an IR graph (or a loaded `Model`) out to the bytes of a target format, with the
 * user-facing names `kconv convert --to` uses. The writers live in src/keras/save.ts.
 */
import { KconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { saveWithReport, type SaveFormat as WriterFormat } from '../keras/save.js';
import { writeOnnx } from '../onnx/write.js';
import { Model } from './model.js';

/** Target formats `save` (and `kconv convert --to`) can write. */
export const SAVE_FORMATS = ['keras3', 'keras2', 'weights', 'kir', 'onnx'] as const;
export type SaveFormat = (typeof SAVE_FORMATS)[number];

export interface SaveOptions {
  /**
   * `keras3`: a `.keras` archive; `keras2`: a legacy full-model `.h5`; `weights`: weights only
   * (Keras 3 `.weights.h5`, or a legacy `save_weights` `.h5` when `targetVersion` is 2.x);
   * `kir`: kconv's own IR file; `onnx`: an ONNX model (docs/onnx.md), `targetVersion` unused.
   */
  format: SaveFormat;
  /**
   * The Keras version that must load the file: `2.2.4` (standalone Keras), `2.13`/`2.15`
   * (tf.keras), `3.0`, `3.3`... or a writer target id such as `tf_keras`. Defaults: Keras 3 for
   * `keras3`/`weights`, tf.keras 2.15 for `keras2`.
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
    case 'onnx':
      return '.onnx';
  }
}

function writerFormat(options: SaveOptions & { format: Exclude<SaveFormat, 'onnx'> }): { format: WriterFormat; target?: string } {
  const v = options.targetVersion;
  switch (options.format) {
    case 'keras3':
      return { format: 'keras', target: v === undefined ? 'keras-3' : targetFor(v) };
    case 'keras2':
      return { format: 'h5', target: v === undefined ? 'tf-keras-2.15' : targetFor(v) };
    case 'weights':
      if (v === undefined) return { format: 'weights-h5', target: 'keras-3' };
      return targetFor(v).startsWith('keras-3') ? { format: 'weights-h5', target: targetFor(v) } : { format: 'h5-weights', target: targetFor(v) };
    case 'kir':
      return { format: 'kir' };
  }
}

/** Serializes a model and reports what was dropped. Throws NOT_REPRESENTABLE when the target cannot express it. */
export async function saveWithWarnings(model: Model | Graph, options: SaveOptions): Promise<SaveResult> {
  const graph = model instanceof Model ? model.graph : model;
  if (!SAVE_FORMATS.includes(options.format)) {
    throw new KconvError('USAGE', `unknown target format '${String(options.format)}': expected one of ${SAVE_FORMATS.join(', ')}`);
  }
  if (options.format === 'onnx') {
    if (options.targetVersion !== undefined) {
      throw new KconvError('USAGE', `a target version applies to Keras formats, not onnx (got '${options.targetVersion}'): the ONNX export records the lowest opset that holds the model`);
    }
    return writeOnnx(graph);
  }
  const report = await saveWithReport(graph, writerFormat({ ...options, format: options.format }));
  return { bytes: report.bytes, warnings: report.warnings };
}

/** Serializes a model to `options.format` (see `SaveOptions`); returns the file's bytes. */
export async function save(model: Model | Graph, options: SaveOptions): Promise<Uint8Array> {
  return (await saveWithWarnings(model, options)).bytes;
}
