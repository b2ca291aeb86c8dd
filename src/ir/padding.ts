/**
 * All padding arithmetic of the steps axis, in one place. Every other module (shape inference,
 * the runtime, the dialects) asks this one, so the rules cannot drift apart.
 *
 * A window of `kernelSize` taps spaced `dilation` apart covers `effectiveKernel = d*(k-1)+1`
 * steps. Sliding it by `stride` over an input padded with `before` and `after` zeros gives
 * `floor((before + L + after - effectiveKernel) / stride) + 1` outputs.
 */
import { KconvError } from '../errors.js';
import type { Padding } from './ops/common.js';

export interface ResolvedPadding {
  /** Zeros (or ignored positions, for pooling) added before the first step. */
  before: number;
  /** Zeros added after the last step. Only the part the last window reaches matters. */
  after: number;
  /** Number of output steps. Can be 0 or negative: callers decide whether that is an error. */
  outLength: number;
}

/** Keras 'valid': no padding. */
export function validPadding(): Padding {
  return { kind: 'explicit', before: 0, after: 0 };
}

/** Keras 'causal': pad only on the left so output t sees inputs ≤ t. */
export function causalPadding(kernelSize: number, dilation: number): Padding {
  return { kind: 'explicit', before: dilation * (kernelSize - 1), after: 0 };
}

/** Keras 1 / Theano `full` (border_mode): every position where the window overlaps the input. */
export function fullPadding(kernelSize: number, dilation: number): Padding {
  const span = dilation * (kernelSize - 1);
  return { kind: 'explicit', before: span, after: span };
}

/** TF's SAME. */
export function samePadding(): Padding {
  return { kind: 'same' };
}

/**
 * Keras's `same` on the Theano backend (Keras 1 and 2: Theano's `half` border mode, then the first
 * ceil(L/s) outputs kept). Convolutions pad floor(dk / 2) before, dk the dilated kernel; pooling pads
 * p − 2 for an odd pool size p > 2, else p − 1 (max pooling ignores the padded positions, average
 * pooling leaves them out of the mean, as for TF). Checked against Keras 1.2.2 on Theano 1.0.5
 * (fixtures/cases/keras1.2). Where the rule gives TF's split for every length (stride 1 and the same
 * `before`), it is TF's `same`, which every Keras can write.
 */
export function theanoSamePadding(window: 'conv' | 'pool', size: number, stride: number, dilation = 1): Padding {
  const before = window === 'conv' ? Math.floor(effectiveKernel(size, dilation) / 2) : size > 2 && size % 2 === 1 ? size - 2 : size - 1;
  if (stride === 1 && before === sameSplitStride1(size, dilation).before) return samePadding();
  return { kind: 'theano-same', before };
}

export function effectiveKernel(kernelSize: number, dilation: number): number {
  return dilation * (kernelSize - 1) + 1;
}

/**
 * Resolves `padding` for an input of `inputLength` steps.
 *
 * SAME (TF): the output has ceil(L / s) steps; the padding needed to give every output a full
 * window is `total = max((ceil(L/s) - 1) * s + effectiveKernel - L, 0)`, split `before =
 * floor(total / 2)`, `after = total - before` (an uneven split puts the extra step on the right).
 * Theano's same: ceil(L / s) steps too, after the given `before`; `after` is what the last window
 * still reaches beyond the input.
 */
export function resolvePadding(
  padding: Padding,
  inputLength: number,
  kernelSize: number,
  stride: number,
  dilation: number,
): ResolvedPadding {
  const keff = effectiveKernel(kernelSize, dilation);
  if (padding.kind === 'same') {
    const outLength = Math.ceil(inputLength / stride);
    const total = Math.max((outLength - 1) * stride + keff - inputLength, 0);
    const before = Math.floor(total / 2);
    return { before, after: total - before, outLength };
  }
  if (padding.kind === 'theano-same') {
    const outLength = Math.ceil(inputLength / stride);
    return { before: padding.before, after: Math.max((outLength - 1) * stride + keff - inputLength - padding.before, 0), outLength };
  }
  if (padding.kind === 'explicit') {
    const span = padding.before + inputLength + padding.after - keff;
    // Math.floor (not truncation) so a negative span gives a length ≤ 0 that callers reject
    const outLength = Math.floor(span / stride) + 1;
    return { before: padding.before, after: padding.after, outLength };
  }
  throw new KconvError('INVALID_GRAPH', `unknown padding kind ${JSON.stringify((padding as { kind: unknown }).kind)}: expected 'explicit', 'same' or 'theano-same'`);
}

/**
 * Output length of a transposed convolution (Keras `deconv_output_length`, TF padding names).
 * valid: L*s + max(keff - s, 0) without output padding, (L-1)*s + keff + op with it;
 * same: L*s without output padding, (L-1)*s + keff % 2 + op with it.
 */
export function transposeOutputLength(
  inputLength: number,
  kernelSize: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same',
  outputPadding: number | null,
): number {
  const keff = effectiveKernel(kernelSize, dilation);
  if (padding === 'valid') {
    if (outputPadding === null) return inputLength * stride + Math.max(keff - stride, 0);
    return (inputLength - 1) * stride + keff + outputPadding;
  }
  if (outputPadding === null) return inputLength * stride;
  return (inputLength - 1) * stride + (keff % 2) + outputPadding;
}

/**
 * Where a transposed convolution's taps land. It is the gradient of a forward convolution that
 * maps `outLength` steps to `inputLength`; its padding is the forward one's: 0 for valid, TF's
 * SAME split computed from the forward sizes for same. Input step t, tap j writes output step
 * `t*s + j*d - before`.
 */
export function transposePaddingBefore(
  inputLength: number,
  outLength: number,
  kernelSize: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same',
): number {
  if (padding === 'valid') return 0;
  const total = Math.max((inputLength - 1) * stride + effectiveKernel(kernelSize, dilation) - outLength, 0);
  return Math.floor(total / 2);
}

/** The conventional name of a steps padding (TF, Keras and ONNX share these words). */
export type PaddingName = 'valid' | 'same' | 'causal' | 'explicit' | 'theano-same';

/**
 * Names a convolution's padding: `same`; `valid` for none; `causal` for d*(k-1) steps before
 * and none after; `explicit` for any other split. (A causal kernel of size 1 pads nothing, so
 * it reads as valid.)
 */
export function paddingName(padding: Padding, kernelSize: number, dilation: number): PaddingName {
  if (padding.kind === 'same') return 'same';
  if (padding.kind === 'theano-same') return 'theano-same';
  if (padding.before === 0 && padding.after === 0) return 'valid';
  if (padding.after === 0 && padding.before === dilation * (kernelSize - 1)) return 'causal';
  return 'explicit';
}

/**
 * TF SAME's split at stride 1, which does not depend on the input length:
 * total = effectiveKernel - 1, before = floor(total / 2).
 */
export function sameSplitStride1(kernelSize: number, dilation: number): { before: number; after: number } {
  return resolvePadding({ kind: 'same' }, 1, kernelSize, 1, dilation);
}
