/** SeparableConv1D: a depthwise convolution, then a pointwise (1-step) one. */
import type { Activation, WindowAttrs } from './common.js';
import { activation, bool, noExtraWeights, positiveInt, weight, window } from './check.js';
import { convInput, convShape } from './conv1d.js';
import type { OpDef } from './define.js';

/**
 * Depthwise then pointwise. weights: depthwise_kernel [kernelSize, inChannels, depthMultiplier],
 * pointwise_kernel [1, inChannels * depthMultiplier, filters], bias [filters].
 */
export interface SeparableConv1DAttrs extends WindowAttrs {
  filters: number;
  inChannels: number;
  depthMultiplier: number;
  activation: Activation;
  useBias: boolean;
}

export const SeparableConv1D: OpDef<SeparableConv1DAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    window(node, a);
    positiveInt(node, 'filters', a.filters);
    positiveInt(node, 'inChannels', a.inChannels);
    positiveInt(node, 'depthMultiplier', a.depthMultiplier);
    activation(node, a.activation);
    bool(node, 'useBias', a.useBias);
    weight(graph, node, 'depthwise_kernel', [a.kernelSize, a.inChannels, a.depthMultiplier]);
    weight(graph, node, 'pointwise_kernel', [1, a.inChannels * a.depthMultiplier, a.filters]);
    if (a.useBias) weight(graph, node, 'bias', [a.filters]);
    noExtraWeights(node, ['depthwise_kernel', 'pointwise_kernel', ...(a.useBias ? ['bias'] : [])]);
  },
  shapes: (node, inputs) => convShape(node, inputs, node.attrs.filters),
  impliedInput: convInput,
};
