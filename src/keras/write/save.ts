/**
 * The public writer entry: an IR graph → the bytes of a model file for a target Keras.
 *
 *   const bytes = await save(graph, { format: 'keras', target: 'keras-3' });
 *
 * Formats: 'h5' (legacy full model), 'h5-weights' (legacy weights only), 'keras' (Keras 3
 * archive), 'weights-h5' (Keras 3 `.weights.h5`), 'kir' (kconv's own IR file). A model the target
 * cannot express is refused (NOT_REPRESENTABLE) before anything is written.
 */
import { KconvError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { writeKir } from '../../ir/kir.js';
import { parseTarget, type Target } from '../targets.js';
import { writeLegacyH5, writeLegacyWeightsH5, type WriteResult } from './h5.js';
import { writeKerasV3, writeWeightsH5 } from './v3.js';

export type SaveFormat = 'h5' | 'h5-weights' | 'keras' | 'weights-h5' | 'kir';

export const SAVE_FORMATS: readonly SaveFormat[] = ['h5', 'h5-weights', 'keras', 'weights-h5', 'kir'];

export interface SaveOptions {
  format: SaveFormat;
  /** Target id (see src/keras/targets.ts); defaults to 'keras-3' for Keras 3 formats, 'tf-keras-2.15' for legacy h5. */
  target?: string | Target;
}

export interface SaveReport extends WriteResult {
  target: Target | null;
  format: SaveFormat;
}


/** Writes `graph` and returns the file's bytes with what was written and any warnings. */
export async function saveWithReport(graph: Graph, options: SaveOptions): Promise<SaveReport> {
  const { format } = options;
  if (!SAVE_FORMATS.includes(format)) {
    throw new KconvError('USAGE', `unknown output format '${String(format)}': expected one of ${SAVE_FORMATS.join(', ')}`);
  }
  if (format === 'kir') {
    const bytes = writeKir(graph);
    return { bytes, datasets: new Map(), warnings: [], target: null, format };
  }
  const fallback = format === 'keras' || format === 'weights-h5' ? 'keras-3' : 'tf-keras-2.15';
  const target = typeof options.target === 'object' ? options.target : parseTarget(options.target ?? fallback);
  let result: WriteResult;
  switch (format) {
    case 'h5':
      result = await writeLegacyH5(graph, target);
      break;
    case 'h5-weights':
      result = await writeLegacyWeightsH5(graph, target);
      break;
    case 'keras':
      result = await writeKerasV3(graph, target);
      break;
    case 'weights-h5':
      result = await writeWeightsH5(graph, target);
      break;
  }
  const extra = graph.provenance.extra ?? {};
  const optimizerNames = extra.optimizerWeightNames;
  if ((Array.isArray(optimizerNames) && optimizerNames.length > 0) || extra.optimizer !== undefined) {
    result.warnings.push('optimizer state dropped: kconv does not carry optimizer variables between files; recompile and retrain or fine-tune from the weights');
  }
  return { ...result, target, format };
}

/** Writes `graph` in `format` for `target`; returns the file's bytes. */
export async function save(graph: Graph, options: SaveOptions): Promise<Uint8Array> {
  return (await saveWithReport(graph, options)).bytes;
}
