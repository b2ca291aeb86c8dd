/**
 * Node-only: save a graph to a path — write with `save`, then `writeFileSafely` (temporary file,
 * fsync, rename; existing output refused without `force`; the input never overwritten), checking
 * the file read back from disk weight by weight before it takes the output's name.
 */
import type { Graph } from '../ir/graph.js';
import { saveWithReport, type SaveOptions } from '../keras/write/save.js';
import { verifyWritten } from '../keras/write/verify-written.js';
import { writeFileSafely } from './write-file.js';

export interface SaveFileOptions extends SaveOptions {
  force?: boolean;
  /** The file(s) the graph was read from: never overwritten. */
  inputs?: string[];
}

/** Writes `graph` to `path`; returns the writer's warnings (e.g. dropped optimizer state). */
export async function saveFile(graph: Graph, path: string, options: SaveFileOptions): Promise<{ warnings: string[] }> {
  const report = await saveWithReport(graph, options);
  await writeFileSafely(path, report.bytes, {
    force: options.force,
    inputs: options.inputs,
    verify: (written) => verifyWritten(written, report.format, report.target, graph, path),
  });
  return { warnings: report.warnings };
}
