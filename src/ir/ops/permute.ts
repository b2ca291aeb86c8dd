/** Permute: reorders the non-batch axes. */
import { fmt, nodeError, noExtraWeights } from './check.js';
import type { OpDef } from './define.js';
import { oneInput } from './dims.js';

export interface PermuteAttrs {
  /** Keras's `dims`: a permutation of 1..rank-1 (batch excluded, 1-based). */
  dims: number[];
}

export const Permute: OpDef<PermuteAttrs> = {
  validate(_graph, node) {
    const dims = node.attrs.dims;
    const sorted = [...dims].sort((x, y) => x - y);
    if (!Array.isArray(dims) || sorted.some((d, i) => d !== i + 1)) {
      throw nodeError(node, 'dims', `expected a permutation of 1..${dims?.length}, found ${JSON.stringify(dims)}`);
    }
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const s = oneInput(node, inputs);
    const dims = node.attrs.dims;
    if (dims.length !== s.length - 1) {
      throw nodeError(node, 'dims', `${fmt(dims)} does not permute the ${s.length - 1} non-batch axes of ${fmt(s)}`);
    }
    return [[s[0], ...dims.map((d) => s[d])]];
  },
};
