/**
 * Layers kconv loads but cannot run (Lambda, TFOpLambda, recurrent layers, custom classes such as
 * RevCompConv1D): one `Unsupported` op that keeps the config and weights; running it fails with
 * UNSUPPORTED_LAYER. Written back verbatim, and only to the Keras generation it came from.
 */
import { KconvError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { convertDtype, convertObject, objectKind, type Json, type JsonObject } from '../emit/objects.js';
import { refuse, sourceFamily } from '../targets.js';
import { codec, type MappedLayer, type StoredWeight } from './codec.js';

/** Classes whose config/weights kconv knows but cannot run, with the reason given to the user. */
const KNOWN_UNRUNNABLE: Record<string, string> = {
  Lambda: 'Lambda layers hold Python code, which kconv never executes',
};

/** An Unsupported node keeping every stored weight under its stored name. */
export function unsupported(className: string, reason: string, stored: StoredWeight[]): MappedLayer<'Unsupported'> {
  const weights: Record<string, Tensor> = {};
  stored.forEach((s, i) => {
    const role = weights[s.name] === undefined ? s.name : `${s.name}#${i}`;
    weights[role] = s.tensor;
  });
  return { op: 'Unsupported', attrs: { className, reason }, weights };
}

/** The reason a class cannot run (a known class, or a class kconv does not know at all). */
export function unrunnableReason(className: string): string {
  return KNOWN_UNRUNNABLE[className] ?? `'${className}' is not a Keras layer kconv knows (a custom class?)`;
}

/** Reads any class no other codec claims (see src/keras/layers/index.ts). */
export const unsupportedCodec = codec({
  classes: Object.keys(KNOWN_UNRUNNABLE),
  ops: ['Unsupported'],
  read: (className, _cfg, w) => unsupported(className, unrunnableReason(className), w.stored),
  write: {
    /** The config as read, nested objects translated to the target dialect. */
    Unsupported(node, ctx) {
      const bag = node.keras;
      if (!bag) {
        throw new KconvError('NOT_REPRESENTABLE', `layer '${node.name}' (${node.attrs.className}) has no Keras config to write`, { where: node.name });
      }
      const config: JsonObject = {};
      for (const [key, value] of Object.entries(bag.config)) {
        if (key === 'batch_input_shape' || key === 'batch_shape') continue;
        const kind = objectKind(key);
        if (kind) config[key] = convertObject(value, kind, ctx.target);
        else if (key === 'dtype') config[key] = convertDtype(value, ctx.target);
        else config[key] = value as Json;
      }
      config.name = bag.layerName;
      return { className: bag.className, body: config, complete: true };
    },
  },
  check(node, target, graph) {
    const source = sourceFamily(graph);
    if (source !== null && source !== target.family) {
      refuse(node, target, `the layer class '${node.attrs.className}' that kconv cannot translate between Keras generations`, { [source]: 0 });
    }
  },
});
