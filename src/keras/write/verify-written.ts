/**
 * Reading back what a writer produced, with kconv's own readers, and checking that every weight
 * of the graph came back bit for bit (the `exact` tolerance). Used after every file write.
 */
import { KconvError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { readKir } from '../../ir/kir.js';
import { verifyOnnx } from '../../onnx/write.js';
import { tensorsIdentical } from '../../tensor.js';
import { emitModel } from '../emit/model.js';
import { loadWeightsInto, readKerasH5 } from '../read/h5.js';
import { readKerasArchive, readKerasWeightsH5 } from '../read/v3-archive.js';
import type { SaveFormat } from './save.js';
import type { Target } from '../targets.js';

/** Reads `bytes` (written by `save` in `format` for `target`) back into a graph. */
export async function readWritten(bytes: Uint8Array, format: SaveFormat, target: Target | null, original: Graph): Promise<Graph> {
  const architecture = () => JSON.stringify(emitModel(original, target!, target!.family === 'keras3' ? 'saving_lib' : 'legacy').config);
  switch (format) {
    case 'keras-h5':
      return readKerasH5(bytes, { filename: 'written.h5' });
    case 'keras-h5-weights':
      return loadWeightsInto(architecture(), bytes, { filename: 'written.h5' });
    case 'keras-v3':
      return readKerasArchive(bytes, { filename: 'written.keras' });
    case 'keras-v3-weights':
      return readKerasWeightsH5(bytes, architecture(), { filename: 'written.weights.h5' });
    case 'kir':
      return readKir(bytes);
    case 'onnx':
      throw new KconvError('USAGE', 'kconv does not read ONNX files into a graph: an ONNX file is checked by decoding its initializers (verifyWritten)');
  }
}

/**
 * Throws CHECKSUM_MISMATCH naming the first weight of `original` that is missing from `back` or
 * differs in dtype, shape or any bit.
 */
export function assertSameWeights(original: Graph, back: Graph, file?: string): void {
  const byName = new Map(back.nodes.map((n) => [n.name, n]));
  let compared = 0;
  for (const node of original.nodes) {
    for (const [role, key] of Object.entries(node.weights)) {
      const want = original.weights.get(key);
      const other = byName.get(node.name);
      const gotKey = other?.weights[role];
      const got = gotKey === undefined ? undefined : back.weights.get(gotKey);
      if (!want) continue;
      if (!got) {
        throw new KconvError('CHECKSUM_MISMATCH', `read-back check: weight '${role}' of layer '${node.name}' is missing from the written file`, { where: `${node.name}/${role}`, file });
      }
      if (!tensorsIdentical(want, got)) {
        throw new KconvError('CHECKSUM_MISMATCH', `read-back check: weight '${role}' of layer '${node.name}' differs from what was meant to be written (dtype ${want.dtype} [${want.shape}] vs ${got.dtype} [${got.shape}])`, { where: `${node.name}/${role}`, file });
      }
      compared++;
    }
  }
  const total = original.weights.size;
  if (compared < total && new Set(original.nodes.flatMap((n) => Object.values(n.weights))).size > compared) {
    throw new KconvError('CHECKSUM_MISMATCH', `read-back check compared ${compared} of ${total} weights`, { file });
  }
}

/** Reads the written bytes back and checks every weight bit for bit. */
export async function verifyWritten(bytes: Uint8Array, format: SaveFormat, target: Target | null, original: Graph, file?: string): Promise<void> {
  if (format === 'onnx') return verifyOnnx(bytes, original, file);
  const back = await readWritten(bytes, format, target, original);
  assertSameWeights(original, back, file);
}
