/** Rescaling: y = x · scale + offset, element-wise (Keras's Rescaling preprocessing layer). */
import { finite, noExtraWeights } from './check.js';
import type { OpDef } from './define.js';
import { sameShape } from './dims.js';

export interface RescalingAttrs {
  scale: number;
  offset: number;
}

export const Rescaling: OpDef<RescalingAttrs> = {
  validate(_graph, node) {
    finite(node, 'scale', node.attrs.scale);
    finite(node, 'offset', node.attrs.offset);
    noExtraWeights(node, []);
  },
  shapes: sameShape,
};
