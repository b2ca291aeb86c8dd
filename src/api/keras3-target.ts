/**
 * The default Keras 3 target: the oldest Keras 3 minor that holds the model. A file written for
 * Keras 3.N carries only keys that 3.N's constructors take (docs/keras3-key-versions.md), so it
 * loads in 3.N and every later Keras 3; a file written for the newest would not load in older
 * ones ("unexpected keyword argument 'input_axes'"). "Holds" means: the target does not refuse
 * the model and drops nothing that the newest Keras 3 keeps.
 */
import { isKconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { checkRepresentable } from '../keras/layers/representable.js';
import { parseTarget } from '../keras/targets.js';
import { saveWithReport, type SaveReport } from '../keras/write/save.js';

/** The newest Keras 3 minor kconv's target table describes. */
export const NEWEST_KERAS3_MINOR = 15;

/** The Keras 3 formats. */
type Keras3Format = 'keras-v3' | 'keras-v3-weights';

/** "Keras 3.N to 3.15": the versions a file written for `keras-3.N` loads in. */
export function keras3LoadRange(minor: number): string {
  return minor >= NEWEST_KERAS3_MINOR ? `Keras 3.${NEWEST_KERAS3_MINOR} and later` : `Keras 3.${minor} to 3.${NEWEST_KERAS3_MINOR}`;
}

/** Warnings without the target's name in them, so two targets' warnings compare. */
function normalized(warnings: string[]): Set<string> {
  return new Set(warnings.map((w) => w.replace(/keras-3\.\d+(\.\d+)?/g, 'keras-3')));
}

/** Whether `minor` can be a target at all (a cheap check before writing anything). */
function representable(graph: Graph, minor: number): boolean {
  try {
    checkRepresentable(graph, parseTarget(`keras-3.${minor}`));
    return true;
  } catch (e) {
    if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') return false;
    throw e;
  }
}

/** The oldest Keras 3 minor the target table accepts the model for (no writing: synchronous); null for none. */
export function oldestRepresentableKeras3(graph: Graph): number | null {
  for (let minor = 0; minor <= NEWEST_KERAS3_MINOR; minor++) if (representable(graph, minor)) return minor;
  return null;
}

/** Writes `graph` for the oldest Keras 3 that holds it. */
export async function saveForOldestKeras3(graph: Graph, format: Keras3Format | string): Promise<SaveReport> {
  const f = format as Keras3Format;
  let newest: SaveReport | undefined;
  const atNewest = async () => (newest ??= await saveWithReport(graph, { format: f, target: `keras-3.${NEWEST_KERAS3_MINOR}` }));
  for (let minor = 0; minor < NEWEST_KERAS3_MINOR; minor++) {
    if (!representable(graph, minor)) continue;
    let report: SaveReport;
    try {
      report = await saveWithReport(graph, { format: f, target: `keras-3.${minor}` });
    } catch (e) {
      if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') continue;
      throw e;
    }
    if (report.warnings.length === 0) return report;
    // Something was dropped: acceptable only if the newest Keras 3 drops it too.
    const keeps = normalized((await atNewest()).warnings);
    if ([...normalized(report.warnings)].every((w) => keeps.has(w))) return report;
  }
  return atNewest();
}
