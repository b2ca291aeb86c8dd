/**
 * Node-only: save a model to a path, the way `kconv convert` does — serialize with the API's
 * `save`, then `writeFileSafely` (temporary file, fsync, rename, directory fsync; an existing
 * output refused without `force`; an input never overwritten), checking the file read back from
 * disk weight by weight, with kconv's own readers, before it takes the output's name.
 */
import type { Graph } from '../ir/graph.js';
import type { Model } from '../api/model.js';
import { writeModel, type SaveOptions } from '../api/save.js';
import { verifyWritten } from '../keras/write/verify-written.js';
import { writeFileSafely } from './write-file.js';
import type { WriteFormat } from '../model-formats.js';

export interface SaveFileOptions extends SaveOptions {
  /** Overwrite an existing output (never an input). */
  force?: boolean;
  /** The file(s) the model was read from: never overwritten. */
  inputs?: string[];
}

export interface SavedFile {
  /** The writer's warnings (e.g. dropped optimizer state). */
  warnings: string[];
  /** The format written (a deprecated name resolved). */
  format: WriteFormat;
  /** The Keras version the file was written for (`3.0`, `2.15`...); absent for `.kir`. */
  target?: string;
  /** For Keras 3 files: the Keras versions that load it, e.g. `Keras 3.0 to 3.15`. */
  loadsIn?: string;
}

/** Writes `model` to `path`; says what was written, for which Keras, and what was dropped. */
export async function saveFile(model: Model | Graph, path: string, options: SaveFileOptions): Promise<SavedFile> {
  const report = await writeModel(model, options);
  await writeFileSafely(path, report.bytes, {
    force: options.force,
    inputs: options.inputs,
    verify: (written) => verifyWritten(written, report.format, report.target, report.graph, path),
  });
  return { warnings: report.warnings, format: report.format, target: report.targetVersion, loadsIn: report.loadsIn };
}
