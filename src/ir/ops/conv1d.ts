/** Conv1D: a (grouped, dilated, strided) convolution over the steps axis. */
import type { Graph } from '../graph.js';
import type { Activation, WindowAttrs } from './common.js';
import { activation, bool, nodeError, noExtraWeights, positiveInt, weight, window } from './check.js';
import type { OpDef, OpNode, SymShape } from './define.js';
import { checkChannels, join3, oneInput, split3, windowOut } from './dims.js';
import type { InputAttrs } from './input.js';

/** weights: kernel [kernelSize, inChannels / groups, filters], bias [filters] when useBias. */
export interface Conv1DAttrs extends WindowAttrs {
  filters: number;
  inChannels: number;
  groups: number;
  activation: Activation;
  useBias: boolean;
}

/** Output shape of a forward convolution-like op with `filters` output channels. */
export function convShape(node: OpNode<WindowAttrs & { inChannels: number }>, inputs: SymShape[], filters: number): SymShape[] {
  const a = node.attrs;
  const { batch, steps, channels } = split3(node, oneInput(node, inputs), a.layout);
  checkChannels(node, channels, a.inChannels);
  return [join3(a.layout, batch, windowOut(node, steps, a.kernelSize, a.stride, a.dilation, a.padding), filters)];
}

/** The input a convolution implies: any number of steps of `inChannels` channels. */
export function convInput(a: { inChannels: number; layout: WindowAttrs['layout'] }): InputAttrs {
  return { shape: a.layout === 'NCW' ? [a.inChannels, null] : [null, a.inChannels], batchSize: null, dtype: 'float32' };
}

export const Conv1D: OpDef<Conv1DAttrs> = {
  validate(graph: Graph, node) {
    const a = node.attrs;
    window(node, a);
    positiveInt(node, 'filters', a.filters);
    positiveInt(node, 'inChannels', a.inChannels);
    positiveInt(node, 'groups', a.groups);
    if (a.inChannels % a.groups !== 0) throw nodeError(node, 'groups', `${a.groups} groups do not divide ${a.inChannels} input channels`);
    if (a.filters % a.groups !== 0) throw nodeError(node, 'groups', `${a.groups} groups do not divide ${a.filters} filters`);
    activation(node, a.activation);
    bool(node, 'useBias', a.useBias);
    weight(graph, node, 'kernel', [a.kernelSize, a.inChannels / a.groups, a.filters]);
    if (a.useBias) weight(graph, node, 'bias', [a.filters]);
    noExtraWeights(node, a.useBias ? ['kernel', 'bias'] : ['kernel']);
  },
  shapes: (node, inputs) => convShape(node, inputs, node.attrs.filters),
  impliedInput: convInput,
};
