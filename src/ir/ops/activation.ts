/** Activation: an activation function on its own (the Activation layer, ReLU, LeakyReLU, Softmax, ...). */
import type { Activation as ActivationSpec } from './common.js';
import { activation, nodeError, noExtraWeights } from './check.js';
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
    if (act.axis !== undefined && (act.fn === 'softmax' || act.fn === 'log_softmax' || act.fn === 'sparsemax')) normalizeAxis(act.axis, out[0].length, node, 'activation.axis');
    if (act.fn === 'glu') {
      // Keras glu splits its axis (the last) in two halves: the output has half of it
      const shape = [...out[0]];
      const last = shape[shape.length - 1];
      if (act.axis !== undefined && act.axis !== -1 && act.axis !== shape.length - 1) throw nodeError(node, 'activation.axis', 'glu is implemented over the last axis only');
      if (last !== null && last % 2 !== 0) throw nodeError(node, 'activation', `glu needs an even last dimension, found ${last}`);
      shape[shape.length - 1] = last === null ? null : last / 2;
      return [shape];
    }
    return out;
  },
};
