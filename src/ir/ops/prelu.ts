/** PReLU: a leaky ReLU with a learned slope. */
import { noExtraWeights, positiveInt, weight } from './check.js';
import type { OpDef } from './define.js';
import { sameShape } from './dims.js';

/**
 * Keras PReLU: x >= 0 ? x : alpha * x with a learned alpha.
 * weights: alpha shaped like the input without batch, with each shared axis set to 1
 * (it broadcasts over those axes).
 */
export interface PReLUAttrs {
  /** Keras `shared_axes` (1-based, batch excluded as in Keras); empty when none. */
  sharedAxes: number[];
}

export const PReLU: OpDef<PReLUAttrs> = {
  validate(graph, node) {
    node.attrs.sharedAxes.forEach((ax, i) => positiveInt(node, `sharedAxes[${i}]`, ax));
    weight(graph, node, 'alpha', null);
    noExtraWeights(node, ['alpha']);
  },
  shapes: sameShape,
};
