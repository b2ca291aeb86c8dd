/**
 * The public writer entry: an IR graph → the bytes of a model file for a target Keras.
 *
 *   const bytes = await save(graph, { format: 'keras-v3', target: 'keras-3' });
 *
 * Formats: the writable names of src/model-formats.ts ('keras-h5', 'keras-h5-weights',
 * 'keras-v3', 'keras-v3-weights', 'kir', 'onnx' (src/onnx)). A model the target cannot express is
 * refused (NOT_REPRESENTABLE) before anything is written.
 */
import { KconvError } from '../../errors.js';
import { isWriteFormat, WRITE_FORMATS, type WriteFormat } from '../../model-formats.js';
import type { Graph } from '../../ir/graph.js';
import { writeKir } from '../../ir/kir.js';
import { writeOnnx } from '../../onnx/write.js';
import { parseTarget, type Target } from '../targets.js';
import { writeLegacyH5, writeLegacyWeightsH5, type WriteResult } from './h5.js';
import { writeKerasV3, writeWeightsH5 } from './v3.js';

export type SaveFormat = WriteFormat;

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
  if (!isWriteFormat(format)) {
    throw new KconvError('USAGE', `unknown output format '${String(format)}': expected one of ${WRITE_FORMATS.join(', ')}`);
  }
  if (format === 'kir') {
    const bytes = writeKir(graph);
    return { bytes, datasets: new Map(), warnings: [], target: null, format };
  }
  if (format === 'onnx') {
    const { bytes, warnings } = writeOnnx(graph);
    return { bytes, datasets: new Map(), warnings, target: null, format };
  }
  const fallback = format === 'keras-v3' || format === 'keras-v3-weights' ? 'keras-3' : 'tf-keras-2.15';
  const target = typeof options.target === 'object' ? options.target : parseTarget(options.target ?? fallback);
  let result: WriteResult;
  switch (format) {
    case 'keras-h5':
      result = await writeLegacyH5(graph, target);
      break;
    case 'keras-h5-weights':
      result = await writeLegacyWeightsH5(graph, target);
      break;
    case 'keras-v3':
      result = await writeKerasV3(graph, target);
      break;
    case 'keras-v3-weights':
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
