/** DepthwiseConv1D: one group per input channel, `depthMultiplier` outputs each. */
import type { Activation, WindowAttrs } from './common.js';
import { activation, bool, noExtraWeights, positiveInt, weight, window } from './check.js';
import { convInput, convShape } from './conv1d.js';
import type { Graph } from '../graph.js';
import type { OpDef, OpNode } from './define.js';

/** weights: depthwise_kernel [kernelSize, inChannels, depthMultiplier], bias [inChannels * depthMultiplier]. */
export interface DepthwiseConv1DAttrs extends WindowAttrs {
  inChannels: number;
  depthMultiplier: number;
  activation: Activation;
  useBias: boolean;
}

/** The checks a depthwise convolution and a separable one (its first half) share. */
export function validateDepthwise(graph: Graph, node: OpNode<DepthwiseConv1DAttrs>): void {
  const a = node.attrs;
  window(node, a);
  positiveInt(node, 'inChannels', a.inChannels);
  positiveInt(node, 'depthMultiplier', a.depthMultiplier);
  activation(node, a.activation);
  bool(node, 'useBias', a.useBias);
  weight(graph, node, 'depthwise_kernel', [a.kernelSize, a.inChannels, a.depthMultiplier]);
}

export const DepthwiseConv1D: OpDef<DepthwiseConv1DAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    validateDepthwise(graph, node);
    if (a.useBias) weight(graph, node, 'bias', [a.inChannels * a.depthMultiplier]);
    noExtraWeights(node, ['depthwise_kernel', ...(a.useBias ? ['bias'] : [])]);
  },
  shapes: (node, inputs) => convShape(node, inputs, node.attrs.inChannels * node.attrs.depthMultiplier),
  impliedInput: convInput,
};
