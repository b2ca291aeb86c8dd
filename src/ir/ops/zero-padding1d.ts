/** ZeroPadding1D (and the shared rules of Cropping1D): zeros added to / steps removed from both ends. */
import type { Layout } from './common.js';
import { layout, nodeError, noExtraWeights, nonNegativeInt } from './check.js';
import type { OpDef } from './define.js';
import { join3, oneInput, split3 } from './dims.js';

export interface PadCrop1DAttrs {
  before: number;
  after: number;
  layout: Layout;
}

/** The rules of an op that adds `sign * (before + after)` steps. */
export function padCrop1d(sign: 1 | -1): OpDef<PadCrop1DAttrs> {
  return {
    validate(_graph, node) {
      nonNegativeInt(node, 'before', node.attrs.before);
      nonNegativeInt(node, 'after', node.attrs.after);
      layout(node, node.attrs.layout);
      noExtraWeights(node, []);
    },
    shapes(node, inputs) {
      const a = node.attrs;
      const { batch, steps, channels } = split3(node, oneInput(node, inputs), a.layout);
      if (steps === null) return [join3(a.layout, batch, null, channels)];
      const out = steps + sign * (a.before + a.after);
      if (out <= 0) {
        throw nodeError(node, 'before', `cropping ${a.before} + ${a.after} steps from an input of ${steps} steps leaves ${out}`);
      }
      return [join3(a.layout, batch, out, channels)];
    },
  };
}

export const ZeroPadding1D: OpDef<PadCrop1DAttrs> = padCrop1d(1);
