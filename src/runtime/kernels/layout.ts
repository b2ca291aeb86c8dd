/**
 * Ops that only move data: transpose (Permute, channels-first Flatten), padding and cropping of
 * the steps axis, UpSampling1D, RepeatVector, Concatenate.
 */
import type { Layout } from '../../ir/ops/index.js';
import { channelsAxis, normalizeAxis, stepsAxis } from '../../ir/shapes.js';
import { unary, type NodeCompiler } from '../step.js';

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** out = transpose(in, perm): out axis i is in axis perm[i]. */
export function prepareTranspose(inShape: readonly number[], perm: readonly number[]) {
  const rank = inShape.length;
  const inStrides = stridesOf(inShape);
  const outShape = perm.map((p) => inShape[p]);
  // For each output axis, how far the input index moves when it advances.
  const step = perm.map((p) => inStrides[p]);
  const total = outShape.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(rank);
  return (input: Float32Array, output: Float32Array) => {
    idx.fill(0);
    let src = 0;
    for (let o = 0; o < total; o++) {
      output[o] = input[src];
      // increment the output multi-index, keeping src in step
      for (let a = rank - 1; a >= 0; a--) {
        idx[a]++;
        src += step[a];
        if (idx[a] < outShape[a]) break;
        src -= step[a] * outShape[a];
        idx[a] = 0;
      }
    }
  };
}

/** ZeroPadding1D (positive before/after) or Cropping1D (negative) along the steps axis. */
export function preparePadCrop(batch: number, inLength: number, channels: number, before: number, outLength: number, layout: Layout) {
  return (input: Float32Array, output: Float32Array) => {
    output.fill(0);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < outLength; t++) {
        const src = t - before;
        if (src < 0 || src >= inLength) continue;
        if (layout === 'NWC') {
          output.set(input.subarray((b * inLength + src) * channels, (b * inLength + src + 1) * channels), (b * outLength + t) * channels);
        } else {
          for (let c = 0; c < channels; c++) output[(b * channels + c) * outLength + t] = input[(b * channels + c) * inLength + src];
        }
      }
    }
  };
}

/** UpSampling1D: each step of [B, L, C] repeated `size` times along axis 1. */
export function prepareUpSampling(batch: number, steps: number, channels: number, size: number) {
  return (input: Float32Array, output: Float32Array) => {
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < steps; t++) {
        const row = input.subarray((b * steps + t) * channels, (b * steps + t + 1) * channels);
        for (let r = 0; r < size; r++) output.set(row, ((b * steps + t) * size + r) * channels);
      }
    }
  };
}

/** RepeatVector: [B, F] → [B, n, F]. */
export function prepareRepeatVector(batch: number, features: number, n: number) {
  return (input: Float32Array, output: Float32Array) => {
    for (let b = 0; b < batch; b++) {
      const row = input.subarray(b * features, (b + 1) * features);
      for (let r = 0; r < n; r++) output.set(row, (b * n + r) * features);
    }
  };
}

/** Concatenate along `axis` (non-negative). */
export function prepareConcat(inShapes: readonly (readonly number[])[], axis: number) {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= inShapes[0][i];
  const chunks = inShapes.map((s) => s.slice(axis).reduce((a, b) => a * b, 1));
  const outChunk = chunks.reduce((a, b) => a + b, 0);
  return (inputs: Float32Array[], output: Float32Array) => {
    for (let o = 0; o < outer; o++) {
      let at = o * outChunk;
      inputs.forEach((x, i) => {
        output.set(x.subarray(o * chunks[i], (o + 1) * chunks[i]), at);
        at += chunks[i];
      });
    }
  };
}

/** Ops that only relabel memory (Dropout & co., Reshape). */
export const compileAlias: NodeCompiler<'Identity' | 'Reshape'> = () => 'alias';

export const compileFlatten: NodeCompiler<'Flatten'> = (_ctx, node, [inShape]) => {
  if (node.attrs.layout === 'NWC' || inShape.length <= 2) return 'alias';
  // channels_first: move channels (axis 1) last, then flatten
  const perm = [0, ...inShape.slice(2).map((_, i) => i + 2), 1];
  return unary(prepareTranspose(inShape, perm));
};

export const compilePermute: NodeCompiler<'Permute'> = (_ctx, node, [inShape]) => unary(prepareTranspose(inShape, [0, ...node.attrs.dims]));

function compilePadCrop(sign: 1 | -1): NodeCompiler<'ZeroPadding1D' | 'Cropping1D'> {
  return (_ctx, node, [inShape], outShape) => {
    const a = node.attrs;
    const s = stepsAxis(a.layout);
    return unary(preparePadCrop(inShape[0], inShape[s], inShape[channelsAxis(a.layout)], sign * a.before, outShape[s], a.layout));
  };
}

export const compileZeroPadding = compilePadCrop(1);
export const compileCropping = compilePadCrop(-1);

export const compileUpSampling: NodeCompiler<'UpSampling1D'> = (_ctx, node, [inShape]) => unary(prepareUpSampling(inShape[0], inShape[1], inShape[2], node.attrs.size));

export const compileRepeatVector: NodeCompiler<'RepeatVector'> = (_ctx, node, [inShape]) => unary(prepareRepeatVector(inShape[0], inShape[1], node.attrs.n));

export const compileConcatenate: NodeCompiler<'Concatenate'> = (_ctx, node, inShapes) => prepareConcat(inShapes, normalizeAxis(node.attrs.axis, inShapes[0].length, node, 'axis'));
