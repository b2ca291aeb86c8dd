/** Activation: an activation function on its own (the Activation layer, ReLU, LeakyReLU, Softmax, ...). */
import type { Activation as ActivationSpec } from './common.js';
import { activation, noExtraWeights } from './check.js';
import type { OpDef } from './define.js';
import { normalizeAxis, sameShape } from './dims.js';

export interface ActivationAttrs {
  activation: ActivationSpec;
}

export const Activation: OpDef<ActivationAttrs> = {
  validate(_graph, node) {
    activation(node, node.attrs.activation);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const out = sameShape(node, inputs);
    const act = node.attrs.activation;
    if (act.axis !== undefined && (act.fn === 'softmax' || act.fn === 'log_softmax')) normalizeAxis(act.axis, out[0].length, node, 'activation.axis');
    return out;
  },
};
