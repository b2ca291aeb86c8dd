/** GlobalMaxPooling1D (and the shared rules of global pooling, which GlobalAveragePooling1D reuses). */
import type { Layout } from './common.js';
import { bool, layout, noExtraWeights } from './check.js';
import type { OpDef } from './define.js';
import { join3, oneInput, split3 } from './dims.js';

export interface GlobalPool1DAttrs {
  layout: Layout;
  keepDims: boolean;
}

export const globalPool1d: OpDef<GlobalPool1DAttrs> = {
  validate(_graph, node) {
    layout(node, node.attrs.layout);
    bool(node, 'keepDims', node.attrs.keepDims);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const a = node.attrs;
    const { batch, channels } = split3(node, oneInput(node, inputs), a.layout);
    if (!a.keepDims) return [[batch, channels]];
    return [join3(a.layout, batch, 1, channels)];
  },
};

export const GlobalMaxPooling1D: OpDef<GlobalPool1DAttrs> = globalPool1d;
