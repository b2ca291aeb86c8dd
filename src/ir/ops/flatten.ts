/** Flatten: everything after the batch axis into one axis. */
import type { Layout } from './common.js';
import { layout, noExtraWeights } from './check.js';
import type { OpDef } from './define.js';
import { oneInput, product } from './dims.js';

/** With layout 'NCW' Keras first moves channels last, then flattens. */
export interface FlattenAttrs {
  layout: Layout;
}

export const Flatten: OpDef<FlattenAttrs> = {
  validate(_graph, node) {
    layout(node, node.attrs.layout);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const s = oneInput(node, inputs);
    return [[s[0], product(s.slice(1))]];
  },
};
