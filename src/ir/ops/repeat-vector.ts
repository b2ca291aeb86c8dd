/** RepeatVector: a [batch, features] input repeated `n` times along a new steps axis. */
import { noExtraWeights, positiveInt } from './check.js';
import type { OpDef } from './define.js';
import { expectRank, oneInput } from './dims.js';

export interface RepeatVectorAttrs {
  n: number;
}

export const RepeatVector: OpDef<RepeatVectorAttrs> = {
  validate(_graph, node) {
    positiveInt(node, 'n', node.attrs.n);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const s = oneInput(node, inputs);
    expectRank(node, s, 2);
    return [[s[0], node.attrs.n, s[1]]];
  },
};
