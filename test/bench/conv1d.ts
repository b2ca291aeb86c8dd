/**
 * Conv1D throughput: blocked vs reference kernel, GFLOP/s (2 FLOPs per multiply-add).
 * Measures and reports; never decides pass/fail. Run: `npm run bench`.
 */
import { conv1dBlocked } from '../../src/runtime/kernels/conv1d-blocked.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl, Conv1DParams } from '../../src/runtime/kernels/conv1d-types.js';
import { resolvePadding } from '../../src/ir/padding.js';
import type { Padding } from '../../src/ir/ops/index.js';

interface Shape {
  label: string;
  B: number;
  L: number;
  C: number;
  F: number;
  K: number;
  S?: number;
  D?: number;
  G?: number;
  padding?: Padding;
  layout?: 'NWC' | 'NCW';
}

const SHAPES: Shape[] = [
  { label: 'B8 L1024 64→64 k3 same', B: 8, L: 1024, C: 64, F: 64, K: 3, padding: { kind: 'same' } },
  { label: 'B8 L1024 64→64 k3 same NCW', B: 8, L: 1024, C: 64, F: 64, K: 3, padding: { kind: 'same' }, layout: 'NCW' },
  { label: 'B1 L16000 1→32 k80 s4 (audio front end)', B: 1, L: 16000, C: 1, F: 32, K: 80, S: 4 },
  { label: 'B4 L2048 128→128 k5 d2 causal', B: 4, L: 2048, C: 128, F: 128, K: 5, D: 2, padding: { kind: 'explicit', before: 8, after: 0 } },
  { label: 'B8 L1024 64→64 k3 groups 8', B: 8, L: 1024, C: 64, F: 64, K: 3, G: 8, padding: { kind: 'same' } },
];

function measure<P>(impl: Conv1DImpl<P>, s: Shape, minMs: number): { gflops: number; ms: number } {
  const p: Conv1DParams = {
    kernelSize: s.K, stride: s.S ?? 1, dilation: s.D ?? 1, groups: s.G ?? 1, inChannels: s.C, filters: s.F,
    layout: s.layout ?? 'NWC', activation: { fn: 'relu' },
  };
  const pad = resolvePadding(s.padding ?? { kind: 'explicit', before: 0, after: 0 }, s.L, s.K, p.stride, p.dilation);
  const kernel = Float32Array.from({ length: s.K * (s.C / p.groups) * s.F }, (_, i) => Math.sin(i));
  const bias = Float32Array.from({ length: s.F }, (_, i) => Math.cos(i));
  const input = Float32Array.from({ length: s.B * s.L * s.C }, (_, i) => Math.sin(i * 0.37));
  const output = new Float32Array(s.B * pad.outLength * s.F);
  const run = impl.prepare(p, { batch: s.B, inLength: s.L, outLength: pad.outLength, padBefore: pad.before }, impl.pack(p, kernel, bias));
  run(input, output); // warm up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs || n < 2) {
    run(input, output);
    n++;
    elapsed = performance.now() - start;
  }
  const ms = elapsed / n;
  const flops = 2 * s.B * pad.outLength * s.F * s.K * (s.C / p.groups);
  return { gflops: flops / (ms * 1e6), ms };
}

const only = process.env.SHAPE === undefined ? null : Number(process.env.SHAPE);
for (const [i, s] of SHAPES.entries()) {
  if (only !== null && i !== only) continue;
  const blocked = measure(conv1dBlocked, s, 1500);
  const reference = measure(conv1dReference, s, 1500);
  console.log(
    `${s.label.padEnd(42)} blocked ${blocked.gflops.toFixed(2).padStart(6)} GFLOP/s (${blocked.ms.toFixed(1)} ms)` +
      `   reference ${reference.gflops.toFixed(2).padStart(6)} GFLOP/s (${reference.ms.toFixed(1)} ms)   ×${(blocked.gflops / reference.gflops).toFixed(1)}`,
  );
}
