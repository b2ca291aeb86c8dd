/** Conv1DTranspose: the transposed (fractionally strided) convolution. */
import type { Activation, Layout } from './common.js';
import { activation, bool, layout, nodeError, noExtraWeights, nonNegativeInt, positiveInt, weight } from './check.js';
import { convInput } from './conv1d.js';
import type { OpDef } from './define.js';
import { checkChannels, join3, oneInput, split3 } from './dims.js';
import { transposeOutputLength } from '../padding.js';

/**
 * Transposed convolution (Keras Conv1DTranspose). `padding` is Keras's 'valid' | 'same' mode,
 * because its output length rule differs from a forward convolution's.
 * weights: kernel [kernelSize, filters, inChannels] (Keras's own transpose layout), bias [filters].
 */
export interface Conv1DTransposeAttrs {
  kernelSize: number;
  stride: number;
  dilation: number;
  padding: 'valid' | 'same';
  outputPadding: number | null;
  layout: Layout;
  filters: number;
  inChannels: number;
  activation: Activation;
  useBias: boolean;
}

export const Conv1DTranspose: OpDef<Conv1DTransposeAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    positiveInt(node, 'kernelSize', a.kernelSize);
    positiveInt(node, 'stride', a.stride);
    positiveInt(node, 'dilation', a.dilation);
    if (a.padding !== 'valid' && a.padding !== 'same') throw nodeError(node, 'padding', `expected 'valid' or 'same', found ${JSON.stringify(a.padding)}`);
    if (a.outputPadding !== null) {
      nonNegativeInt(node, 'outputPadding', a.outputPadding);
      if (a.outputPadding >= a.stride) {
        throw nodeError(node, 'outputPadding', `${a.outputPadding} must be smaller than the stride (${a.stride})`);
      }
    }
    layout(node, a.layout);
    positiveInt(node, 'filters', a.filters);
    positiveInt(node, 'inChannels', a.inChannels);
    activation(node, a.activation);
    bool(node, 'useBias', a.useBias);
    weight(graph, node, 'kernel', [a.kernelSize, a.filters, a.inChannels]);
    if (a.useBias) weight(graph, node, 'bias', [a.filters]);
    noExtraWeights(node, a.useBias ? ['kernel', 'bias'] : ['kernel']);
  },
  shapes(node, inputs) {
    const a = node.attrs;
    const { batch, steps, channels } = split3(node, oneInput(node, inputs), a.layout);
    checkChannels(node, channels, a.inChannels);
    if (steps === null) return [join3(a.layout, batch, null, a.filters)];
    const out = transposeOutputLength(steps, a.kernelSize, a.stride, a.dilation, a.padding, a.outputPadding);
    if (out <= 0) throw nodeError(node, 'outputPadding', `gives ${out} output steps for an input of ${steps} steps`);
    return [join3(a.layout, batch, out, a.filters)];
  },
  impliedInput: convInput,
};
