/**
 * Pooling over the steps axis. Positions in the padding are ignored: max pooling never sees them
 * and average pooling divides by the number of real positions in the window (TF's SAME
 * semantics, which Keras uses). Channels-last inputs in a plan's WebAssembly memory run on the
 * WASM SIMD kernels (../wasm/pool.ts), bit for bit equal to these loops, which stay the reference.
 */
import type { Layout } from '../../ir/ops/index.js';
import { resolvePadding } from '../../ir/padding.js';
import { channelsAxis, stepsAxis } from '../../ir/shapes.js';
import { unary, type NodeCompiler } from '../step.js';
import { wasmGlobalPool, wasmPool } from '../wasm/pool.js';

export interface PoolGeometry {
  batch: number;
  inLength: number;
  outLength: number;
  channels: number;
  poolSize: number;
  stride: number;
  padBefore: number;
  layout: Layout;
}

export function preparePool(kind: 'max' | 'average', g: PoolGeometry) {
  const { batch: B, inLength: L, outLength: T, channels: C, poolSize: K, stride: S, padBefore: P } = g;
  const nwc = g.layout === 'NWC';
  // Index of (b, step, c): NWC → (b*L + step)*C + c; NCW → (b*C + c)*L + step.
  const inStep = nwc ? C : 1;
  const inChan = nwc ? 1 : L;
  const outStep = nwc ? C : 1;
  const outChan = nwc ? 1 : T;
  return (input: Float32Array, output: Float32Array) => {
    if (nwc && wasmPool(kind, g, input, output)) return; // in a plan's WebAssembly memory
    for (let b = 0; b < B; b++) {
      const inBase = b * L * C;
      const outBase = b * T * C;
      for (let t = 0; t < T; t++) {
        const start = Math.max(t * S - P, 0);
        const end = Math.min(t * S - P + K, L);
        for (let c = 0; c < C; c++) {
          const ci = inBase + c * inChan;
          let r: number;
          if (kind === 'max') {
            r = -Infinity;
            for (let pos = start; pos < end; pos++) {
              const v = input[ci + pos * inStep];
              if (v > r || Number.isNaN(v)) r = v;
            }
          } else {
            r = 0;
            for (let pos = start; pos < end; pos++) r += input[ci + pos * inStep];
            r /= end - start;
          }
          output[outBase + t * outStep + c * outChan] = r;
        }
      }
    }
  };
}

export function prepareGlobalPool(kind: 'max' | 'average', batch: number, steps: number, channels: number, layout: Layout) {
  const nwc = layout === 'NWC';
  return (input: Float32Array, output: Float32Array) => {
    if (nwc && wasmGlobalPool(kind, batch, steps, channels, input, output)) return; // in a plan's WebAssembly memory
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < channels; c++) {
        let r = kind === 'max' ? -Infinity : 0;
        for (let t = 0; t < steps; t++) {
          const v = nwc ? input[(b * steps + t) * channels + c] : input[(b * channels + c) * steps + t];
          if (kind === 'max') {
            if (v > r || Number.isNaN(v)) r = v;
          } else r += v;
        }
        // keepDims or not, [B, C], [B, 1, C] and [B, C, 1] share this memory order.
        output[b * channels + c] = kind === 'max' ? r : r / steps;
      }
    }
  };
}

function compileWindowPool(kind: 'max' | 'average'): NodeCompiler<'MaxPooling1D' | 'AveragePooling1D'> {
  return (_ctx, node, [inShape], outShape) => {
    const a = node.attrs;
    const s = stepsAxis(a.layout);
    const pad = resolvePadding(a.padding, inShape[s], a.poolSize, a.stride, 1);
    return unary(preparePool(kind, {
      batch: inShape[0], inLength: inShape[s], outLength: outShape[s], channels: inShape[channelsAxis(a.layout)],
      poolSize: a.poolSize, stride: a.stride, padBefore: pad.before, layout: a.layout,
    }));
  };
}

function compileGlobalPool(kind: 'max' | 'average'): NodeCompiler<'GlobalMaxPooling1D' | 'GlobalAveragePooling1D'> {
  return (_ctx, node, [inShape]) => {
    const a = node.attrs;
    return unary(prepareGlobalPool(kind, inShape[0], inShape[stepsAxis(a.layout)], inShape[channelsAxis(a.layout)], a.layout));
  };
}

export const compileMaxPool = compileWindowPool('max');
export const compileAveragePool = compileWindowPool('average');
export const compileGlobalMaxPool = compileGlobalPool('max');
export const compileGlobalAveragePool = compileGlobalPool('average');
