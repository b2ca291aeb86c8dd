/**
 * Conv1DTranspose (the gradient of a forward convolution with respect to its input): input step
 * t, tap j adds x[t] · W[j] into output step t*s + j*d - padBefore. Accumulates each batch item
 * in float64 scratch, then adds bias and applies the (elementwise) activation.
 */
import type { Activation, Layout } from '../../ir/ops/index.js';
import { applyElementwise } from '../activations.js';
import { transposePaddingBefore } from '../../ir/padding.js';
import { stepsAxis } from '../../ir/shapes.js';
import { cached, optionalWeight, splitActivation, unary, weightF32, withSoftmax, type NodeCompiler } from '../step.js';

export interface ConvTransposeParams {
  kernelSize: number;
  stride: number;
  dilation: number;
  inChannels: number;
  filters: number;
  layout: Layout;
  activation: Activation;
}

export interface ConvTransposeGeometry {
  batch: number;
  inLength: number;
  outLength: number;
  padBefore: number;
}

/** Keras kernel [k, filters, inChannels] → [k, inChannels, filters] so the inner loop runs over filters. */
export function packConvTranspose(p: ConvTransposeParams, kernel: Float32Array): Float32Array {
  const { kernelSize: K, inChannels: C, filters: F } = p;
  const packed = new Float32Array(K * C * F);
  for (let j = 0; j < K; j++) for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) packed[(j * C + c) * F + f] = kernel[(j * F + f) * C + c];
  return packed;
}

export function prepareConvTranspose(p: ConvTransposeParams, g: ConvTransposeGeometry, packed: Float32Array, bias: Float32Array | null) {
  const { kernelSize: K, stride: S, dilation: D, inChannels: C, filters: F } = p;
  const { batch: B, inLength: L, outLength: T, padBefore: P } = g;
  const nwc = p.layout === 'NWC';
  const acc = new Float64Array(T * F); // [t][f]
  const x = new Float64Array(C);
  return (input: Float32Array, output: Float32Array) => {
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < T; i++) for (let f = 0; f < F; f++) acc[i * F + f] = bias ? bias[f] : 0;
      for (let t = 0; t < L; t++) {
        for (let c = 0; c < C; c++) x[c] = nwc ? input[(b * L + t) * C + c] : input[(b * C + c) * L + t];
        for (let j = 0; j < K; j++) {
          const o = t * S + j * D - P;
          if (o < 0 || o >= T) continue;
          const row = o * F;
          for (let c = 0; c < C; c++) {
            const xv = x[c];
            const w = (j * C + c) * F;
            for (let f = 0; f < F; f++) acc[row + f] += xv * packed[w + f];
          }
        }
      }
      const base = b * T * F;
      for (let i = 0; i < T; i++) {
        for (let f = 0; f < F; f++) output[nwc ? base + i * F + f : base + f * T + i] = acc[i * F + f];
      }
      applyElementwise(p.activation, output, base, base + T * F);
    }
  };
}

export const compileConv1DTranspose: NodeCompiler<'Conv1DTranspose'> = (ctx, node, [inShape], outShape) => {
  const a = node.attrs;
  const { fused, after } = splitActivation(a.activation);
  const params = { kernelSize: a.kernelSize, stride: a.stride, dilation: a.dilation, inChannels: a.inChannels, filters: a.filters, layout: a.layout, activation: fused };
  const packed = cached(ctx, `${node.name}#transpose`, () => packConvTranspose(params, weightF32(ctx, node, 'kernel')));
  const L = inShape[stepsAxis(a.layout)];
  const T = outShape[stepsAxis(a.layout)];
  const padBefore = transposePaddingBefore(L, T, a.kernelSize, a.stride, a.dilation, a.padding);
  const run = prepareConvTranspose(params, { batch: inShape[0], inLength: L, outLength: T, padBefore }, packed, optionalWeight(ctx, node, 'bias', a.useBias));
  return withSoftmax(unary(run), after, outShape);
};
