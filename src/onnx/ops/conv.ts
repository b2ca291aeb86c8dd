/**
 * The convolutions: Conv1D → Conv (group, dilations, strides, pads), DepthwiseConv1D → Conv with
 * one group per input channel, SeparableConv1D → that depthwise Conv then a 1-step Conv,
 * Conv1DTranspose → ConvTranspose with pads and output_padding giving Keras's output length.
 * ONNX wants channels at axis 1, so NWC models run these in the swapped form (see emitter.ts).
 * Kernels are stored in ONNX's layout: [filters, in/groups, k] from the IR's [k, in/groups, filters].
 */
import type { NodeOf } from '../../ir/graph.js';
import type { Activation, Layout } from '../../ir/ops/index.js';
import { stepsAxis } from '../../ir/shapes.js';
import { emitActivation } from '../activations.js';
import type { NodeOfAny, OnnxCodec } from '../codec.js';
import type { Form, OnnxEmitter } from '../emitter.js';
import { padAttrs } from './window.js';

/** The form in which a tensor of `layout` has its channels at axis 1. */
export function channelsFirstForm(layout: Layout): Form {
  return layout === 'NWC' ? 'swapped' : 'keras';
}

/** IR kernel [k, a, b] ↔ ONNX weight [b, a, k]. */
const KERNEL_TO_ONNX = [2, 1, 0];

/**
 * Emits `layerOutput` (the op's result, before activation) followed by `act`, and defines the
 * node's output value. The op's own node carries the Keras layer name.
 */
export function finish(e: OnnxEmitter, node: NodeOfAny<'Conv1D' | 'DepthwiseConv1D' | 'SeparableConv1D' | 'Conv1DTranspose' | 'Dense'>, build: (out: string) => void, act: Activation, form: Form): void {
  const v = node.outputs[0];
  const out = e.outputName(v, form);
  if (act.fn === 'linear') build(out);
  else {
    const pre = e.fresh(`${node.name}/preactivation`);
    build(pre);
    emitActivation(e, act, pre, form, e.shape(v), node.name, out);
  }
  e.define(v, out, form);
}

function inputGeometry(e: OnnxEmitter, node: NodeOfAny<'Conv1D' | 'DepthwiseConv1D' | 'SeparableConv1D' | 'Conv1DTranspose'>) {
  const layout = node.attrs.layout;
  const form = channelsFirstForm(layout);
  return { form, x: e.value(node.inputs[0], form), length: e.shape(node.inputs[0])[stepsAxis(layout)] };
}

/** The op's inputs: the data, the weight `kernel` (already an initializer name) and the bias when the layer has one. */
function withBias(e: OnnxEmitter, node: NodeOfAny<'Conv1D' | 'DepthwiseConv1D' | 'Conv1DTranspose'>, x: string, kernel: string): string[] {
  return node.attrs.useBias ? [x, kernel, e.weight(node, 'bias')] : [x, kernel];
}

export const conv1d: OnnxCodec<'Conv1D'> = {
  emit(node, e) {
    const a = node.attrs;
    const { form, x, length } = inputGeometry(e, node);
    const inputs = withBias(e, node, x, e.weight(node, 'kernel', KERNEL_TO_ONNX));
    const attrs = { kernel_shape: [a.kernelSize], strides: [a.stride], dilations: [a.dilation], group: a.groups, ...padAttrs(a.padding, length, a.kernelSize, a.stride, a.dilation) };
    finish(e, node, (out) => e.add('Conv', inputs, [out], node.name, attrs), a.activation, form);
  },
};

/** The depthwise kernel [k, C, M] is the grouped kernel [k, 1, C·M] (same memory order). */
function depthwiseWeight(e: OnnxEmitter, node: NodeOfAny<'DepthwiseConv1D' | 'SeparableConv1D'>): string {
  const a = node.attrs;
  return e.weight(node, 'depthwise_kernel', KERNEL_TO_ONNX, [a.kernelSize, 1, a.inChannels * a.depthMultiplier]);
}

export const depthwiseConv1d: OnnxCodec<'DepthwiseConv1D'> = {
  emit(node, e) {
    const a = node.attrs;
    const { form, x, length } = inputGeometry(e, node);
    const inputs = withBias(e, node, x, depthwiseWeight(e, node));
    const attrs = { kernel_shape: [a.kernelSize], strides: [a.stride], dilations: [a.dilation], group: a.inChannels, ...padAttrs(a.padding, length, a.kernelSize, a.stride, a.dilation) };
    finish(e, node, (out) => e.add('Conv', inputs, [out], node.name, attrs), a.activation, form);
  },
};

export const separableConv1d: OnnxCodec<'SeparableConv1D'> = {
  emit(node, e) {
    const a = node.attrs;
    const { form, x, length } = inputGeometry(e, node);
    const depthAttrs = { kernel_shape: [a.kernelSize], strides: [a.stride], dilations: [a.dilation], group: a.inChannels, ...padAttrs(a.padding, length, a.kernelSize, a.stride, a.dilation) };
    const depth = e.op('Conv', [x, depthwiseWeight(e, node)], `${node.name}/depthwise`, depthAttrs);
    const inputs = [depth, e.weight(node, 'pointwise_kernel', KERNEL_TO_ONNX)];
    if (a.useBias) inputs.push(e.weight(node, 'bias'));
    finish(e, node, (out) => e.add('Conv', inputs, [out], node.name, { kernel_shape: [1] }), a.activation, form);
  },
};

/**
 * ConvTranspose's output has s·(L-1) + output_padding + d·(k-1) + 1 - pads steps, its taps land at
 * t·s + j·d - pad_begin: the same as Keras's once pad_begin is Keras's (the forward convolution's
 * SAME split, 0 for valid) and pad_end / output_padding make up Keras's length. Neither depends on
 * the input length, so unknown lengths are fine.
 */
export function transposePads(a: NodeOf<'Conv1DTranspose'>['attrs']): { begin: number; end: number; outputPadding: number } {
  const keff = a.dilation * (a.kernelSize - 1) + 1;
  const s = a.stride;
  // Keras's output length minus s·(L-1) + keff (what ConvTranspose gives with no padding at all).
  const extra = a.padding === 'valid'
    ? (a.outputPadding === null ? Math.max(keff - s, 0) + s - keff : a.outputPadding)
    : (a.outputPadding === null ? s - keff : (keff % 2) - keff + a.outputPadding);
  const begin = a.padding === 'valid' ? 0 : Math.floor(Math.max(-extra, 0) / 2);
  // extra = outputPadding - begin - end, with end and outputPadding ≥ 0
  const end = Math.max(-extra - begin, 0);
  return { begin, end, outputPadding: extra + begin + end };
}

export const conv1dTranspose: OnnxCodec<'Conv1DTranspose'> = {
  emit(node, e) {
    const a = node.attrs;
    const { form, x } = inputGeometry(e, node);
    const inputs = withBias(e, node, x, e.weight(node, 'kernel', KERNEL_TO_ONNX));
    const p = transposePads(a);
    const attrs = { kernel_shape: [a.kernelSize], strides: [a.stride], dilations: [a.dilation], pads: [p.begin, p.end], output_padding: [p.outputPadding] };
    finish(e, node, (out) => e.add('ConvTranspose', inputs, [out], node.name, attrs), a.activation, form);
  },
};
