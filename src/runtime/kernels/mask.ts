/**
 * Keras masks as values: a mask is a [batch, steps] array of 0/1 (1 = the step is real data).
 * What makes one, how two are combined, and the consumers that are not recurrent (the RNN kernels
 * take the mask directly). Facts: docs/recurrent.md § Masks.
 */

import type { NodeCompiler } from '../step.js';

/** A mask's storage: 0/1 per (batch, step); plans keep it in a Float32Array like any value. */
type MaskArray = { length: number; [i: number]: number };

/** Embedding(mask_zero=True): the step is kept where its index is not 0. */
export function maskFromIndices(indices: Float32Array, output: MaskArray): void {
  for (let i = 0; i < indices.length; i++) output[i] = indices[i] !== 0 ? 1 : 0;
}

/** Masking(mask_value): the step is kept where any feature differs from mask_value. */
export function maskFromValues(x: Float32Array, features: number, maskValue: number, output: MaskArray): void {
  for (let r = 0; r < output.length; r++) {
    let keep = 0;
    for (let f = 0; f < features; f++) {
      if (x[r * features + f] !== maskValue) {
        keep = 1;
        break;
      }
    }
    output[r] = keep;
  }
}

/** Masking's own output: the input with masked steps zeroed (Keras multiplies by the mask). */
export function applyMasking(x: Float32Array, features: number, mask: MaskArray, output: Float32Array): void {
  for (let r = 0; r < mask.length; r++) {
    const base = r * features;
    if (mask[r]) output.set(x.subarray(base, base + features), base);
    else output.fill(0, base, base + features);
  }
}

/** Combines masks elementwise: 'and' (tf.keras, Keras 3.0–3.2 merges) or 'or' (Keras 3.15). */
export function combineMasks(mode: 'and' | 'or', masks: MaskArray[], output: MaskArray): void {
  for (let i = 0; i < output.length; i++) {
    let v = mode === 'and' ? 1 : 0;
    for (const m of masks) v = mode === 'and' ? v & m[i] : v | m[i];
    output[i] = v;
  }
}

/**
 * GlobalAveragePooling1D with a mask (channels_last): sum over unmasked steps / their count, as
 * Keras computes it (a row with every step masked divides 0 by 0: NaN, as in Keras).
 */
export function maskedGlobalAverage(x: Float32Array, mask: MaskArray, batch: number, steps: number, channels: number, output: Float32Array): void {
  const acc = new Float64Array(channels);
  for (let b = 0; b < batch; b++) {
    acc.fill(0);
    let count = 0;
    for (let t = 0; t < steps; t++) {
      if (!mask[b * steps + t]) continue;
      count++;
      const base = (b * steps + t) * channels;
      for (let c = 0; c < channels; c++) acc[c] += x[base + c];
    }
    for (let c = 0; c < channels; c++) output[b * channels + c] = acc[c] / count;
  }
}

// ---------------------------------------------------------------------------------------------
// Plan steps (masks travel as float32 0/1 values like every other value)

export const compileMask: NodeCompiler<'Mask'> = (_ctx, node, inShapes) => {
  const a = node.attrs;
  if (a.kind === 'nonzero') return (inputs, output) => maskFromIndices(inputs[0], output );
  if (a.kind === 'anyNotEqual') {
    const features = inShapes[0][2];
    return (inputs, output) => maskFromValues(inputs[0], features, a.value!, output );
  }
  return (inputs, output) => combineMasks(a.kind as 'and' | 'or', inputs , output );
};

export const compileMasking: NodeCompiler<'Masking'> = (_ctx, _node, inShapes) => {
  const features = inShapes[0][2];
  return (inputs, output) => applyMasking(inputs[0], features, inputs[1] , output);
};

export const compileMaskedGlobalAverage: NodeCompiler<'MaskedGlobalAveragePooling1D'> = (_ctx, _node, inShapes) => {
  const [batch, steps, channels] = inShapes[0];
  return (inputs, output) => maskedGlobalAverage(inputs[0], inputs[1] , batch, steps, channels, output);
};
