/** Dense: a matrix product over the last axis. */
import { activation, bool, fmt, nodeError, noExtraWeights, positiveInt, weight } from './check.js';
import type { Activation } from './common.js';
import type { OpDef } from './define.js';
import { oneInput } from './dims.js';

/** Applied to the last axis. weights: kernel [inFeatures, units], bias [units]. */
export interface DenseAttrs {
  units: number;
  inFeatures: number;
  activation: Activation;
  useBias: boolean;
}

export const Dense: OpDef<DenseAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    positiveInt(node, 'units', a.units);
    positiveInt(node, 'inFeatures', a.inFeatures);
    activation(node, a.activation);
    bool(node, 'useBias', a.useBias);
    weight(graph, node, 'kernel', [a.inFeatures, a.units]);
    if (a.useBias) weight(graph, node, 'bias', [a.units]);
    noExtraWeights(node, a.useBias ? ['kernel', 'bias'] : ['kernel']);
  },
  shapes(node, inputs) {
    const s = oneInput(node, inputs);
    if (s.length < 2) throw nodeError(node, 'inputs[0]', `expected rank ≥ 2, found shape ${fmt(s)}`);
    const last = s[s.length - 1];
    if (last !== null && last !== node.attrs.inFeatures) {
      throw nodeError(node, 'inFeatures', `the node expects ${node.attrs.inFeatures} input features (last axis), the input has shape ${fmt(s)}`);
    }
    return [[...s.slice(0, -1), node.attrs.units]];
  },
  impliedInput: (a) => ({ shape: [a.inFeatures], batchSize: null, dtype: 'float32' }),
};
