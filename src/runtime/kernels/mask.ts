/**
 * Keras masks as values: a mask is a [batch, steps] array of 0/1 (1 = the step is real data).
 * What makes one, how two are combined, and the consumers that are not recurrent (the RNN kernels
 * take the mask directly). Facts: docs/recurrent.md § Masks.
 */

/** Embedding(mask_zero=True): the step is kept where its index is not 0. */
export function maskFromIndices(indices: Float32Array, output: Uint8Array): void {
  for (let i = 0; i < indices.length; i++) output[i] = indices[i] !== 0 ? 1 : 0;
}

/** Masking(mask_value): the step is kept where any feature differs from mask_value. */
export function maskFromValues(x: Float32Array, features: number, maskValue: number, output: Uint8Array): void {
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
export function applyMasking(x: Float32Array, features: number, mask: Uint8Array, output: Float32Array): void {
  for (let r = 0; r < mask.length; r++) {
    const base = r * features;
    if (mask[r]) output.set(x.subarray(base, base + features), base);
    else output.fill(0, base, base + features);
  }
}

/** Combines masks elementwise: 'and' (tf.keras, Keras 3.0–3.2 merges) or 'or' (Keras 3.15). */
export function combineMasks(mode: 'and' | 'or', masks: Uint8Array[], output: Uint8Array): void {
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
export function maskedGlobalAverage(x: Float32Array, mask: Uint8Array, batch: number, steps: number, channels: number, output: Float32Array): void {
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
