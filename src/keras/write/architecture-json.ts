/**
 * The architecture alone, as the target Keras's `model.to_json()` writes it: what a weights-only
 * file needs beside it to be loaded (by Keras: `model_from_json` then `load_weights`; by kconv:
 * the `architecture` option). Keras 3: the serialized model, the same document as a `.keras`
 * archive's config.json; Keras 2 / tf.keras: `{class_name, config, keras_version, backend}`.
 */
import type { Graph } from '../../ir/graph.js';
import { emitModel } from '../emit/model.js';
import { checkRepresentable } from '../layers/representable.js';
import { isKeras3, type Target } from '../targets.js';

export function architectureJson(graph: Graph, target: Target): string {
  checkRepresentable(graph, target);
  if (isKeras3(target)) return JSON.stringify(emitModel(graph, target, 'saving_lib').config);
  const { config } = emitModel(graph, target, 'legacy');
  return JSON.stringify({ ...config, keras_version: target.kerasVersion, backend: 'tensorflow' });
}
