/** MaxPooling1D (and the shared rules of windowed pooling, which AveragePooling1D reuses). */
import type { Layout, Padding } from './common.js';
import { layout, noExtraWeights, padding, positiveInt } from './check.js';
import type { OpDef } from './define.js';
import { join3, oneInput, split3, windowOut } from './dims.js';

/**
 * Windowed pooling over steps. Average pooling never counts padded positions (TF/Keras
 * semantics for 'same').
 */
export interface Pool1DAttrs {
  poolSize: number;
  stride: number;
  padding: Padding;
  layout: Layout;
}

export const pool1d: OpDef<Pool1DAttrs> = {
  validate(_graph, node) {
    const a = node.attrs;
    positiveInt(node, 'poolSize', a.poolSize);
    positiveInt(node, 'stride', a.stride);
    padding(node, a.padding);
    layout(node, a.layout);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const a = node.attrs;
    const { batch, steps, channels } = split3(node, oneInput(node, inputs), a.layout);
    return [join3(a.layout, batch, windowOut(node, steps, a.poolSize, a.stride, 1, a.padding), channels)];
  },
};

export const MaxPooling1D: OpDef<Pool1DAttrs> = pool1d;
