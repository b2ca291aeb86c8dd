/** Reshape: the same elements per sample in another shape. */
import { fmt, nodeError, noExtraWeights, positiveInt } from './check.js';
import type { OpDef } from './define.js';
import { oneInput, product } from './dims.js';

export interface ReshapeAttrs {
  /** Target shape without batch; may hold one -1. */
  targetShape: number[];
}

export const Reshape: OpDef<ReshapeAttrs> = {
  validate(_graph, node) {
    const t = node.attrs.targetShape;
    if (!Array.isArray(t)) throw nodeError(node, 'targetShape', `expected an array, found ${JSON.stringify(t)}`);
    t.forEach((d, i) => d === -1 || positiveInt(node, `targetShape[${i}]`, d));
    if (t.filter((d) => d === -1).length > 1) throw nodeError(node, 'targetShape', `at most one -1 is allowed, found ${JSON.stringify(t)}`);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const s = oneInput(node, inputs);
    const total = product(s.slice(1));
    const target = node.attrs.targetShape;
    const known = product(target.filter((d) => d !== -1))!;
    const unknown = target.indexOf(-1);
    const out: (number | null)[] = [...target];
    if (unknown >= 0) {
      if (total === null) out[unknown] = null;
      else if (known === 0 || total % known !== 0) {
        throw nodeError(node, 'targetShape', `cannot reshape ${total} elements per sample into ${fmt(target)}`);
      } else out[unknown] = total / known;
    } else if (total !== null && known !== total) {
      throw nodeError(node, 'targetShape', `${fmt(target)} holds ${known} elements per sample, the input ${fmt(s)} has ${total}`);
    }
    return [[s[0], ...out]];
  },
};
