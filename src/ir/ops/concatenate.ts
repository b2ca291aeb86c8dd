/** Concatenate: inputs joined along one axis. */
import { fmt, isInt, nodeError, noExtraWeights } from './check.js';
import type { Dim, OpDef } from './define.js';
import { expectInputs, normalizeAxis } from './dims.js';

export interface ConcatenateAttrs {
  axis: number;
}

export const Concatenate: OpDef<ConcatenateAttrs> = {
  validate(_graph, node) {
    isInt(node, 'axis', node.attrs.axis);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    expectInputs(node, inputs, 'atLeast2');
    const first = inputs[0];
    const rank = first.length;
    const axis = normalizeAxis(node.attrs.axis, rank, node, 'axis');
    const out = [...first];
    let total: Dim = 0;
    inputs.forEach((s, i) => {
      const differs = s.some((d, j) => j !== axis && d !== null && first[j] !== null && d !== first[j]);
      if (s.length !== rank || differs) {
        throw nodeError(node, 'axis', `inputs ${fmt(first)} and ${fmt(s)} (input ${i}) differ outside axis ${axis}`);
      }
      total = total === null || s[axis] === null ? null : total + (s[axis] as number);
    });
    out[axis] = total;
    return [out];
  },
};
