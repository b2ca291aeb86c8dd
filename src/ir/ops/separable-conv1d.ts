/** SeparableConv1D: a depthwise convolution, then a pointwise (1-step) one. */
import { noExtraWeights, positiveInt, weight } from './check.js';
import { convInput, convShape } from './conv1d.js';
import type { OpDef } from './define.js';
import { validateDepthwise, type DepthwiseConv1DAttrs } from './depthwise-conv1d.js';

/**
 * Depthwise then pointwise. weights: depthwise_kernel [kernelSize, inChannels, depthMultiplier],
 * pointwise_kernel [1, inChannels * depthMultiplier, filters], bias [filters].
 */
export interface SeparableConv1DAttrs extends DepthwiseConv1DAttrs {
  filters: number;
}

export const SeparableConv1D: OpDef<SeparableConv1DAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    validateDepthwise(graph, node);
    positiveInt(node, 'filters', a.filters);
    weight(graph, node, 'pointwise_kernel', [1, a.inChannels * a.depthMultiplier, a.filters]);
    if (a.useBias) weight(graph, node, 'bias', [a.filters]);
    noExtraWeights(node, ['depthwise_kernel', 'pointwise_kernel', ...(a.useBias ? ['bias'] : [])]);
  },
  shapes: (node, inputs) => convShape(node, inputs, node.attrs.filters),
  impliedInput: convInput,
};
