/**
 * The tuned typed-array Conv1D, a benchmark comparison point (the `kconv-typed` row against
 * tfjs-cpu): pure JS, Float32Array in and out, same panel layout as the WASM kernel. No runtime
 * path selects it (without WebAssembly SIMD the runtime uses runtime/kernels/conv1d-blocked.ts),
 * so it lives with the benchmarks; test/property/conv1d-fast-paths.test.ts keeps it correct.
 *
 * - Weights packed once into [group][panel][tap][inPerGroup][4]: one panel = 4 output channels,
 *   zero-padded, read contiguously by the inner loop.
 * - Input copied into a zero-padded scratch image per run, so the hot loop has no bounds checks.
 * - Register tile: 4 output steps × 4 output channels = 16 accumulators in locals (doubles in
 *   V8); each inner step loads 4 inputs + 4 weights for 16 multiply-adds. Tail steps use a 1×4
 *   tile.
 * - Loop order: per batch item, chunks of output steps, then panels, then steps within the
 *   chunk: the chunk's input window stays in cache while every panel passes over it.
 */
import { checkConv1DSpec, neededPadAfter, type Conv1DSpec, type PreparedConv1D } from '../runtime/conv1d-spec.js';
import { implFromPrepare } from '../runtime/prepared-impl.js';

const P = 4; // output channels per panel

export function packTyped(s: Conv1DSpec, kernel: Float32Array): Float32Array {
  const cg = s.inChannels / s.groups;
  const fg = s.filters / s.groups;
  const ppg = Math.ceil(fg / P);
  const out = new Float32Array(s.groups * ppg * s.kernelSize * cg * P);
  let o = 0;
  for (let g = 0; g < s.groups; g++)
    for (let pn = 0; pn < ppg; pn++)
      for (let j = 0; j < s.kernelSize; j++)
        for (let c = 0; c < cg; c++) {
          const src = (j * cg + c) * s.filters + g * fg + pn * P;
          for (let l = 0; l < P; l++) out[o++] = pn * P + l < fg ? kernel[src + l] : 0;
        }
  return out;
}

export function prepareConv1dTyped(spec: Conv1DSpec, kernel: Float32Array, bias: Float32Array | null): PreparedConv1D {
  checkConv1DSpec(spec);
  const s = { ...spec };
  const C = s.inChannels;
  const cg = C / s.groups;
  const F = s.filters;
  const fg = F / s.groups;
  const ppg = Math.ceil(fg / P);
  const K = s.kernelSize;
  const T = s.outLength;
  const paddedLength = s.padBefore + s.inLength + neededPadAfter(s);
  const w = packTyped(s, kernel);
  const b = new Float32Array(s.groups * ppg * P);
  for (let g = 0; g < s.groups; g++) for (let f = 0; f < fg; f++) b[(g * ppg) * P + f] = bias ? bias[g * fg + f] : 0;
  const xp = new Float32Array(paddedLength * C);
  const rs = s.stride * C; // floats between consecutive output steps' windows
  const ds = s.dilation * C; // floats between taps
  const panel = K * cg * P;
  const chunk = Math.max(4, Math.floor(16384 / Math.max(1, rs)));
  const relu = !!s.relu;
  const full = fg % P === 0; // every panel lane is a real filter: store without checks

  function store(y: Float32Array, yo: number, f0: number, v0: number, v1: number, v2: number, v3: number): void {
    if (relu) {
      v0 = v0 > 0 ? v0 : 0;
      v1 = v1 > 0 ? v1 : 0;
      v2 = v2 > 0 ? v2 : 0;
      v3 = v3 > 0 ? v3 : 0;
    }
    if (full) {
      y[yo] = v0;
      y[yo + 1] = v1;
      y[yo + 2] = v2;
      y[yo + 3] = v3;
    } else {
      const n = fg - f0;
      y[yo] = v0;
      if (n > 1) y[yo + 1] = v1;
      if (n > 2) y[yo + 2] = v2;
      if (n > 3) y[yo + 3] = v3;
    }
  }

  return {
    spec: s,
    path: 'typed-array',
    run(x: Float32Array, y: Float32Array): void {
      if (x.length !== s.batch * s.inLength * C) throw new RangeError(`x needs ${s.batch * s.inLength * C} values, found ${x.length}`);
      if (y.length !== s.batch * T * F) throw new RangeError(`y needs ${s.batch * T * F} values, found ${y.length}`);
      for (let n = 0; n < s.batch; n++) {
        xp.set(x.subarray(n * s.inLength * C, (n + 1) * s.inLength * C), s.padBefore * C);
        const yb = n * T * F;
        for (let t0 = 0; t0 < T; t0 += chunk) {
          const t1 = Math.min(T, t0 + chunk);
          for (let g = 0; g < s.groups; g++) {
            for (let pn = 0; pn < ppg; pn++) {
              const wb = (g * ppg + pn) * panel;
              const bo = (g * ppg + pn) * P;
              const f0 = pn * P;
              const yc = yb + g * fg + f0;
              let t = t0;
              for (; t + 4 <= t1; t += 4) {
                let a00 = b[bo], a01 = b[bo + 1], a02 = b[bo + 2], a03 = b[bo + 3];
                let a10 = a00, a11 = a01, a12 = a02, a13 = a03;
                let a20 = a00, a21 = a01, a22 = a02, a23 = a03;
                let a30 = a00, a31 = a01, a32 = a02, a33 = a03;
                let wi = wb;
                for (let j = 0; j < K; j++) {
                  let xi = t * rs + j * ds + g * cg;
                  const xe = xi + cg;
                  for (; xi < xe; xi++) {
                    const w0 = w[wi], w1 = w[wi + 1], w2 = w[wi + 2], w3 = w[wi + 3];
                    wi += 4;
                    const x0 = xp[xi], x1 = xp[xi + rs], x2 = xp[xi + 2 * rs], x3 = xp[xi + 3 * rs];
                    a00 += x0 * w0; a01 += x0 * w1; a02 += x0 * w2; a03 += x0 * w3;
                    a10 += x1 * w0; a11 += x1 * w1; a12 += x1 * w2; a13 += x1 * w3;
                    a20 += x2 * w0; a21 += x2 * w1; a22 += x2 * w2; a23 += x2 * w3;
                    a30 += x3 * w0; a31 += x3 * w1; a32 += x3 * w2; a33 += x3 * w3;
                  }
                }
                const yo = yc + t * F;
                store(y, yo, f0, a00, a01, a02, a03);
                store(y, yo + F, f0, a10, a11, a12, a13);
                store(y, yo + 2 * F, f0, a20, a21, a22, a23);
                store(y, yo + 3 * F, f0, a30, a31, a32, a33);
              }
              for (; t < t1; t++) {
                let a0 = b[bo], a1 = b[bo + 1], a2 = b[bo + 2], a3 = b[bo + 3];
                let wi = wb;
                for (let j = 0; j < K; j++) {
                  let xi = t * rs + j * ds + g * cg;
                  const xe = xi + cg;
                  for (; xi < xe; xi++) {
                    const x0 = xp[xi];
                    a0 += x0 * w[wi]; a1 += x0 * w[wi + 1]; a2 += x0 * w[wi + 2]; a3 += x0 * w[wi + 3];
                    wi += 4;
                  }
                }
                store(y, yc + t * F, f0, a0, a1, a2, a3);
              }
            }
          }
        }
      }
    },
    dispose(): void {},
  };
}

/** The tuned kernel as a Conv1D implementation, to run whole models on it (bench/model.ts, test/property). */
export const conv1dTuned = implFromPrepare('typed-tuned', prepareConv1dTyped);
