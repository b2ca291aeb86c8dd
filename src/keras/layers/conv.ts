/**
 * The convolution family: Conv1D (Keras 1 Convolution1D / AtrousConvolution1D), SeparableConv1D,
 * DepthwiseConv1D, Conv1DTranspose.
 *
 * Generations: Keras 1 keys (`nb_filter`, `filter_length`, `subsample_length`, `border_mode`,
 * `atrous_rate`, `bias`) and its 4-D Convolution1D kernel `W`: (k, 1, in, f) in Keras 1.1–1.2,
 * (f, in, k, 1) in 1.0, reshaped to the canonical (k, in, f) exactly as Keras 2 did when loading
 * such files; `data_format` absent before Keras 2.2 (channels_last), `groups` absent before
 * TF 2.3 (1). Theano convolves where TF correlates, so a kernel written under the Theano backend
 * is reversed along its time axis (what Keras 2's `convert_kernel` did).
 */
import { paddingName } from '../../ir/padding.js';
import { allocate, type Tensor } from '../../tensor.js';
import type { NodeOf } from '../../ir/graph.js';
import type { WindowAttrs } from '../../ir/ops/index.js';
import { FEATURES, isKeras3, need, refuse, supports, type Feature } from '../targets.js';
import { activationValue, checkLayerActivation } from './activation-value.js';
import { activationFromConfig } from '../activations.js';
import { KconvError } from '../../errors.js';
import {
  codec, convPadding, dataFormat, layoutOf, mapped, sourceConfig, theanoSameName, weightObjects, type EmitContext,
  type LayerContext, type MappedLayer, type WeightList,
} from './codec.js';
import type { ConfigReader } from '../config-values.js';
import type { JsonObject } from '../emit/objects.js';

export const CONV_FEATURES = {
  groups: { name: 'Conv1D groups > 1', since: { tfkeras: 3, keras3: 0 }, verified: true },
  causalChannelsFirst: { name: "causal padding with data_format 'channels_first'", since: { tfkeras: 0, keras3: 0 }, verified: true },
  conv1dTranspose: { name: 'Conv1DTranspose layer', since: { tfkeras: 3, keras3: 0 }, verified: false },
  depthwiseConv1D: { name: 'DepthwiseConv1D layer', since: { tfkeras: 9, keras3: 0 }, verified: false },
  // Keras 3.0.1/3.2.1 refuse an explicit output_padding when loading (they require values > 0).
  conv1dTransposeOutputPadding: { name: 'Conv1DTranspose output_padding', since: { tfkeras: 3, keras3: 3 }, verified: false },
  stridedDilation: { name: 'strides > 1 together with dilation_rate > 1', since: {}, verified: true },
} satisfies Record<string, Feature>;

type ForwardConv = NodeOf<'Conv1D'> | NodeOf<'SeparableConv1D'> | NodeOf<'DepthwiseConv1D'>;

/** Keras's padding string for a forward convolution, or null when Keras has none for it. */
export function kerasConvPadding(node: ForwardConv): 'valid' | 'same' | 'causal' | null {
  const a = node.attrs;
  const name = paddingName(a.padding, a.kernelSize, a.dilation);
  if (name === 'explicit' || name === 'theano-same') return null;
  // A causal kernel of size 1 pads nothing: keep the source's word for it.
  if (name === 'valid' && node.keras?.config?.padding === 'causal') return 'causal';
  return name;
}

function padString(node: ForwardConv): string {
  const p = kerasConvPadding(node);
  if (p === null) throw new KconvError('NOT_REPRESENTABLE', `layer '${node.name}': its padding has no Keras spelling`, { where: node.name });
  return p;
}

function activationOf(cfg: ConfigReader, ctx: LayerContext) {
  return activationFromConfig(cfg.config.activation, ctx.generation, `${ctx.where}.activation`);
}

function conv1d(cfg: ConfigReader, w: WeightList, ctx: LayerContext, keras1Keys: boolean): MappedLayer<'Conv1D'> {
  const filters = cfg.int(cfg.pick('filters', 'nb_filter') ?? 'filters');
  const kernelSize = cfg.int(cfg.pick('kernel_size', 'filter_length') ?? 'kernel_size');
  const stride = cfg.int(cfg.pick('strides', 'subsample_length') ?? 'strides', 1);
  const dilation = cfg.int(cfg.pick('dilation_rate', 'atrous_rate') ?? 'dilation_rate', 1);
  const groups = cfg.int('groups', 1);
  const useBias = cfg.bool(cfg.pick('use_bias', 'bias') ?? 'use_bias', true);
  const activation = activationOf(cfg, ctx);
  const [stored, bias] = w.take(useBias ? ['kernel', 'bias'] : ['kernel']);
  let kernel = stored;
  if (kernel.shape.length === 4 && (keras1Keys || ctx.generation === 'keras1')) kernel = keras1ConvKernel(kernel, kernelSize, filters);
  if (kernel.shape.length !== 3) w.badShape(0, `a 3-D kernel [${kernelSize}, in_channels/${groups}, ${filters}]`);
  w.expectShape(0, [kernelSize, kernel.shape[1], filters], kernel);
  if (bias) w.expectShape(1, [filters]);
  if (ctx.backend === 'theano') kernel = reverseAxis0(kernel);
  const padding = convPadding(cfg, kernelSize, dilation, stride, ctx.backend);
  const attrs = { kernelSize, stride, dilation, padding, layout: layoutOf(cfg), filters, inChannels: kernel.shape[1] * groups, groups, activation, useBias };
  return mapped('Conv1D', attrs, { kernel, bias });
}

/** The window of a Keras 2/3-only convolution (no Keras 1 key spellings). */
function windowAttrs(cfg: ConfigReader, kernelSize: number, dilation: number, backend: string): WindowAttrs {
  const stride = cfg.int('strides', 1);
  return { kernelSize, stride, dilation, padding: convPadding(cfg, kernelSize, dilation, stride, backend), layout: layoutOf(cfg) };
}

function separableConv1d(cfg: ConfigReader, w: WeightList, ctx: LayerContext): MappedLayer<'SeparableConv1D'> {
  const filters = cfg.int('filters');
  const kernelSize = cfg.int('kernel_size');
  const dilation = cfg.int('dilation_rate', 1);
  const depthMultiplier = cfg.int('depth_multiplier', 1);
  const useBias = cfg.bool('use_bias', true);
  const [dw, pw, bias] = w.take(useBias ? ['depthwise_kernel', 'pointwise_kernel', 'bias'] : ['depthwise_kernel', 'pointwise_kernel']);
  if (dw.shape.length !== 3) w.badShape(0, 'a 3-D depthwise kernel [k, in, depth_multiplier]');
  const inChannels = dw.shape[1];
  w.expectShape(0, [kernelSize, inChannels, depthMultiplier]);
  w.expectShape(1, [1, inChannels * depthMultiplier, filters]);
  if (bias) w.expectShape(2, [filters]);
  const depthwise = ctx.backend === 'theano' ? reverseAxis0(dw) : dw;
  const attrs = { ...windowAttrs(cfg, kernelSize, dilation, ctx.backend), filters, inChannels, depthMultiplier, activation: activationOf(cfg, ctx), useBias };
  return mapped('SeparableConv1D', attrs, { depthwise_kernel: depthwise, pointwise_kernel: pw, bias });
}

function depthwiseConv1d(cfg: ConfigReader, w: WeightList, ctx: LayerContext): MappedLayer<'DepthwiseConv1D'> {
  const kernelSize = cfg.int('kernel_size');
  const dilation = cfg.int('dilation_rate', 1);
  const depthMultiplier = cfg.int('depth_multiplier', 1);
  const useBias = cfg.bool('use_bias', true);
  const [dw, bias] = w.take(useBias ? ['depthwise_kernel', 'bias'] : ['depthwise_kernel']);
  if (dw.shape.length !== 3) w.badShape(0, 'a 3-D depthwise kernel [k, in, depth_multiplier]');
  const inChannels = dw.shape[1];
  w.expectShape(0, [kernelSize, inChannels, depthMultiplier]);
  if (bias) w.expectShape(1, [inChannels * depthMultiplier]);
  const attrs = { ...windowAttrs(cfg, kernelSize, dilation, ctx.backend), inChannels, depthMultiplier, activation: activationOf(cfg, ctx), useBias };
  return mapped('DepthwiseConv1D', attrs, { depthwise_kernel: ctx.backend === 'theano' ? reverseAxis0(dw) : dw, bias });
}

function conv1dTranspose(cfg: ConfigReader, w: WeightList, ctx: LayerContext): MappedLayer<'Conv1DTranspose'> {
  const filters = cfg.int('filters');
  const kernelSize = cfg.int('kernel_size');
  const useBias = cfg.bool('use_bias', true);
  const [kernel, bias] = w.take(useBias ? ['kernel', 'bias'] : ['kernel']);
  if (kernel.shape.length !== 3) w.badShape(0, `a 3-D kernel [${kernelSize}, ${filters}, in_channels]`);
  w.expectShape(0, [kernelSize, filters, kernel.shape[2]]);
  if (bias) w.expectShape(1, [filters]);
  const outputPadding = cfg.has('output_padding') ? cfg.int('output_padding') : null;
  const attrs = {
    kernelSize,
    stride: cfg.int('strides', 1),
    dilation: cfg.int('dilation_rate', 1),
    padding: cfg.oneOf('padding', ['valid', 'same'], 'valid'),
    outputPadding,
    layout: layoutOf(cfg),
    filters,
    inChannels: kernel.shape[2],
    activation: activationOf(cfg, ctx),
    useBias,
  };
  return mapped('Conv1DTranspose', attrs, { kernel: ctx.backend === 'theano' ? reverseAxis0(kernel) : kernel, bias });
}

/**
 * Keras 1 Convolution1D kernels are 4-D: (k, 1, in, f) in 1.1+, (f, in, k, 1) in 1.0. Keras 2's
 * loader told them apart by checking for the 1.1 shape, transposed the 1.0 one to it, then
 * dropped the dummy axis. (k, 1, in, f) and (k, in, f) have the same row-major data.
 */
function keras1ConvKernel(t: Tensor, kernelSize: number, filters: number): Tensor {
  const [a, b, c, d] = t.shape;
  if (a === kernelSize && b === 1 && d === filters) return { dtype: t.dtype, shape: [a, c, d], data: t.data };
  if (a === filters && c === kernelSize && d === 1) {
    // (f, in, k, 1) → (k, in, f)
    const inCh = b;
    const out = allocate(t.dtype, t.data.length);
    for (let f = 0; f < filters; f++)
      for (let i = 0; i < inCh; i++)
        for (let k = 0; k < kernelSize; k++) (out as Float32Array)[(k * inCh + i) * filters + f] = (t.data as Float32Array)[(f * inCh + i) * kernelSize + k];
    return { dtype: t.dtype, shape: [kernelSize, inCh, filters], data: out };
  }
  return t; // left as is: the shape check that follows reports it
}

/** Reverses a kernel along its first (time) axis: Theano convolution → TF correlation. */
function reverseAxis0(t: Tensor): Tensor {
  const steps = t.shape[0];
  const block = t.data.length / steps;
  const out = allocate(t.dtype, t.data.length);
  for (let s = 0; s < steps; s++) (out as Float32Array).set((t.data as Float32Array).subarray((steps - 1 - s) * block, (steps - s) * block), s * block);
  return { dtype: t.dtype, shape: [...t.shape], data: out };
}

/** kernel_size, strides, padding, data_format, dilation_rate of a forward convolution, in Keras's key order. */
function window(node: ForwardConv) {
  const a = node.attrs;
  return { kernel_size: [a.kernelSize], strides: [a.stride], padding: padString(node), data_format: dataFormat(a.layout), dilation_rate: [a.dilation] };
}

function activationAndBias(node: ForwardConv | NodeOf<'Conv1DTranspose'>, ctx: EmitContext) {
  return { activation: activationValue(node.attrs.activation, sourceConfig(node).activation, ctx), use_bias: node.attrs.useBias };
}

const READERS: Record<string, (cfg: ConfigReader, w: WeightList, ctx: LayerContext, className: string) => MappedLayer> = {
  Conv1D: (cfg, w, ctx) => conv1d(cfg, w, ctx, ctx.generation === 'keras1'),
  Convolution1D: (cfg, w, ctx) => conv1d(cfg, w, ctx, true),
  AtrousConvolution1D: (cfg, w, ctx) => conv1d(cfg, w, ctx, true),
  AtrousConv1D: (cfg, w, ctx) => conv1d(cfg, w, ctx, true),
  SeparableConv1D: separableConv1d,
  SeparableConvolution1D: separableConv1d,
  DepthwiseConv1D: depthwiseConv1d,
  Conv1DTranspose: conv1dTranspose,
  Convolution1DTranspose: conv1dTranspose,
};

export const convCodec = codec({
  classes: Object.keys(READERS),
  ops: ['Conv1D', 'SeparableConv1D', 'DepthwiseConv1D', 'Conv1DTranspose'],
  read: (className, cfg, w, ctx) => READERS[className](cfg, w, ctx, className),
  write: {
    Conv1D(node, ctx) {
      const a = node.attrs;
      const body: JsonObject = { filters: a.filters, ...window(node) };
      if (isKeras3(ctx.target) || supports(ctx.target, CONV_FEATURES.groups.since)) body.groups = a.groups;
      Object.assign(body, activationAndBias(node, ctx));
      return { className: 'Conv1D', body, objects: weightObjects(['kernel', 'bias']) };
    },
    SeparableConv1D(node, ctx) {
      const a = node.attrs;
      const body = { filters: a.filters, ...window(node), depth_multiplier: a.depthMultiplier, ...activationAndBias(node, ctx) };
      return { className: 'SeparableConv1D', body, objects: weightObjects(['depthwise', 'pointwise', 'bias']) };
    },
    DepthwiseConv1D(node, ctx) {
      const body = { ...window(node), depth_multiplier: node.attrs.depthMultiplier, ...activationAndBias(node, ctx) };
      return { className: 'DepthwiseConv1D', body, objects: weightObjects(['depthwise', 'bias']) };
    },
    Conv1DTranspose(node, ctx) {
      const a = node.attrs;
      const body = {
        filters: a.filters, kernel_size: [a.kernelSize], strides: [a.stride], padding: a.padding,
        output_padding: a.outputPadding === null ? null : [a.outputPadding], data_format: dataFormat(a.layout),
        dilation_rate: [a.dilation], ...activationAndBias(node, ctx),
      };
      return { className: 'Conv1DTranspose', body, objects: weightObjects(['kernel', 'bias']) };
    },
  },
  weightOrder: {
    Conv1D: ['kernel', 'bias'],
    Conv1DTranspose: ['kernel', 'bias'],
    SeparableConv1D: ['depthwise_kernel', 'pointwise_kernel', 'bias'],
    DepthwiseConv1D: ['depthwise_kernel', 'bias'],
  },
  check(node, target) {
    if (node.op === 'Conv1DTranspose') {
      need(node, target, CONV_FEATURES.conv1dTranspose);
      if (node.attrs.outputPadding !== null) need(node, target, CONV_FEATURES.conv1dTransposeOutputPadding);
      checkLayerActivation(node, target, node.attrs.activation, sourceConfig(node).activation);
      return;
    }
    const a = node.attrs;
    if (node.op === 'DepthwiseConv1D') need(node, target, CONV_FEATURES.depthwiseConv1D);
    const padding = kerasConvPadding(node);
    if (a.padding.kind === 'theano-same') refuse(node, target, theanoSameName(a.padding.before), {});
    else if (padding === null) {
      const p = a.padding as { before: number; after: number };
      refuse(node, target, `${FEATURES.explicitPadding.name} (before ${p.before}, after ${p.after})`, {});
    }
    if (padding === 'causal' && node.op === 'DepthwiseConv1D') refuse(node, target, 'causal padding on DepthwiseConv1D', {});
    if (padding === 'causal' && a.layout === 'NCW') need(node, target, CONV_FEATURES.causalChannelsFirst);
    if (a.stride > 1 && a.dilation > 1) refuse(node, target, CONV_FEATURES.stridedDilation.name, {});
    if (node.op === 'Conv1D' && node.attrs.groups > 1) need(node, target, CONV_FEATURES.groups);
    checkLayerActivation(node, target, a.activation, sourceConfig(node).activation);
  },
  features: CONV_FEATURES,
  extras: {
    Conv1D: { keras2: [], keras3: ['lora_rank', 'lora_alpha'], k3since: { lora_rank: 3, lora_alpha: 10 } },
  },
});
