/**
 * Dense over the last axis: out[n, u] = bias[u] + Σ_i x[n, i] · W[i, u], for every row n of the
 * flattened leading axes. Rows accumulate in a float64 scratch row; the (elementwise) activation
 * runs on the result. In a plan whose values lie in WebAssembly memory, the WASM SIMD kernel
 * computes the product instead (../wasm/dense.ts); this loop stays the reference.
 */
import type { Activation } from '../../ir/ops/index.js';
import { applyElementwise } from '../activations.js';
import { prepareDenseWasm } from '../wasm/dense.js';
import { optionalWeight, splitActivation, unary, weightF32, withSoftmax, type NodeCompiler } from '../step.js';
import { numElements } from '../../tensor.js';

export function prepareDense(rows: number, inFeatures: number, units: number, kernel: Float32Array, bias: Float32Array | null, activation: Activation) {
  const acc = new Float64Array(units);
  const wasm = prepareDenseWasm(rows, inFeatures, units, kernel, bias);
  return (input: Float32Array, output: Float32Array) => {
    if (wasm?.(input, output)) {
      applyElementwise(activation, output, 0, rows * units);
      return;
    }
    for (let n = 0; n < rows; n++) {
      if (bias) for (let u = 0; u < units; u++) acc[u] = bias[u];
      else acc.fill(0);
      const xBase = n * inFeatures;
      for (let i = 0; i < inFeatures; i++) {
        const xv = input[xBase + i];
        if (xv === 0) continue;
        const w = i * units;
        for (let u = 0; u < units; u++) acc[u] += xv * kernel[w + u];
      }
      const o = n * units;
      for (let u = 0; u < units; u++) output[o + u] = acc[u];
    }
    applyElementwise(activation, output, 0, rows * units);
  };
}

export const compileDense: NodeCompiler<'Dense'> = (ctx, node, [inShape], outShape) => {
  const a = node.attrs;
  const { fused, after } = splitActivation(a.activation);
  const rows = numElements(inShape) / a.inFeatures;
  const run = prepareDense(rows, a.inFeatures, a.units, weightF32(ctx, node, 'kernel'), optionalWeight(ctx, node, 'bias', a.useBias), fused);
  return withSoftmax(unary(run), after, outShape);
};
