/**
 * How Conv1D, DepthwiseConv1D and SeparableConv1D compile: all three run on the plan's Conv1D
 * implementation (WASM SIMD, blocked or reference, see select-conv1d.ts) with padding resolved
 * for the input length and weights packed once per graph.
 */
import { LINEAR, type Padding } from '../../ir/ops/index.js';
import { resolvePadding } from '../../ir/padding.js';
import { channelsAxis, stepsAxis, type Shape } from '../../ir/shapes.js';
import { numElements } from '../../tensor.js';
import { checkBufferElements } from '../../limits.js';
import { cached, optionalWeight, splitActivation, weightF32, withSoftmax, type CompileContext, type NodeCompiler, type StepFn } from '../step.js';
import type { Conv1DParams } from './conv1d-types.js';

function convStep(
  ctx: CompileContext,
  node: { name: string },
  params: Conv1DParams,
  packKey: string,
  kernel: () => Float32Array,
  bias: () => Float32Array | null,
  inShape: Shape,
  outShape: Shape,
  padding: Padding,
): StepFn {
  const impl = ctx.conv1d;
  const packed = cached(ctx, `${node.name}#${impl.name}:${packKey}`, () => impl.pack(params, kernel(), bias()));
  const L = inShape[stepsAxis(params.layout)];
  const pad = resolvePadding(padding, L, params.kernelSize, params.stride, params.dilation);
  const run = impl.prepare(params, { batch: inShape[0], inLength: L, outLength: outShape[stepsAxis(params.layout)], padBefore: pad.before }, packed);
  return params.residual ? (inputs, output) => run(inputs[0], output, inputs[1]) : (inputs, output) => run(inputs[0], output);
}

/**
 * A Conv1D node with a second input exists only in the runtime's graphs: a residual Add fused into
 * it (runtime/passes/fuse-residual.ts), y = activation(conv(x) + bias + inputs[1]).
 */
export const compileConv1D: NodeCompiler<'Conv1D'> = (ctx, node, inShapes, outShape) => {
  const a = node.attrs;
  const [inShape] = inShapes;
  const { fused, after } = splitActivation(a.activation);
  const params: Conv1DParams = {
    kernelSize: a.kernelSize, stride: a.stride, dilation: a.dilation, groups: a.groups, inChannels: a.inChannels, filters: a.filters, layout: a.layout, activation: fused,
    ...(inShapes.length === 2 ? { residual: true } : {}),
  };
  const step = convStep(ctx, node, params, 'conv', () => weightF32(ctx, node, 'kernel'), () => optionalWeight(ctx, node, 'bias', a.useBias), inShape, outShape, a.padding);
  return withSoftmax(step, after, outShape);
};

/**
 * A grouped convolution with one group per input channel. The depthwise kernel [k, C, M] has the
 * same memory order as the grouped kernel [k, 1, C*M].
 */
export const compileDepthwiseConv1D: NodeCompiler<'DepthwiseConv1D'> = (ctx, node, [inShape], outShape) => {
  const a = node.attrs;
  const { fused, after } = splitActivation(a.activation);
  const C = a.inChannels;
  const params: Conv1DParams = { kernelSize: a.kernelSize, stride: a.stride, dilation: a.dilation, groups: C, inChannels: C, filters: C * a.depthMultiplier, layout: a.layout, activation: fused };
  const step = convStep(ctx, node, params, 'depthwise', () => weightF32(ctx, node, 'depthwise_kernel'), () => optionalWeight(ctx, node, 'bias', a.useBias), inShape, outShape, a.padding);
  return withSoftmax(step, after, outShape);
};

/** Depthwise (no bias) into a scratch buffer, then a 1-step pointwise convolution with bias and activation. */
export const compileSeparableConv1D: NodeCompiler<'SeparableConv1D'> = (ctx, node, [inShape], outShape) => {
  const a = node.attrs;
  const { fused, after } = splitActivation(a.activation);
  const C = a.inChannels;
  const mid = C * a.depthMultiplier;
  const depthParams: Conv1DParams = { kernelSize: a.kernelSize, stride: a.stride, dilation: a.dilation, groups: C, inChannels: C, filters: mid, layout: a.layout, activation: LINEAR };
  const midShape = [...outShape];
  midShape[channelsAxis(a.layout)] = mid;
  const depth = convStep(ctx, node, depthParams, 'depthwise', () => weightF32(ctx, node, 'depthwise_kernel'), () => null, inShape, midShape, a.padding);
  const pointParams: Conv1DParams = { kernelSize: 1, stride: 1, dilation: 1, groups: 1, inChannels: mid, filters: a.filters, layout: a.layout, activation: fused };
  const point = convStep(ctx, node, pointParams, 'pointwise', () => weightF32(ctx, node, 'pointwise_kernel'), () => optionalWeight(ctx, node, 'bias', a.useBias), midShape, outShape, { kind: 'explicit', before: 0, after: 0 });
  const scratch = new Float32Array(checkBufferElements(numElements(midShape), 4, `the scratch buffer of '${node.name}'`, ctx.limits));
  return withSoftmax((inputs, output) => {
    depth(inputs, scratch);
    point([scratch], output);
  }, after, outShape);
};
