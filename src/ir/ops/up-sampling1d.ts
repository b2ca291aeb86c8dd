/** UpSampling1D: each step repeated `size` times. */
import { noExtraWeights, positiveInt } from './check.js';
import type { OpDef } from './define.js';
import { expectRank, mapDim, oneInput } from './dims.js';

export interface UpSampling1DAttrs {
  size: number;
}

export const UpSampling1D: OpDef<UpSampling1DAttrs> = {
  validate(_graph, node) {
    positiveInt(node, 'size', node.attrs.size);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const s = oneInput(node, inputs);
    expectRank(node, s, 3);
    return [[s[0], mapDim(s[1], (d) => d * node.attrs.size), s[2]]];
  },
};
