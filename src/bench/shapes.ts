/**
 * The benchmark shapes of issue 8 (Keras Conv1D, channels_last, fp32), with seeded data.
 */
import type { Padding } from '../ir/ops/index.js';
import { causalPadding, resolvePadding, samePadding, validPadding } from '../ir/padding.js';
import type { Conv1DSpec } from '../runtime/conv1d-spec.js';
import type { BenchProblem } from './peers.js';
import { seededUniform } from '../api/random-inputs.js';

export interface BenchShape {
  id: string;
  /** What the shape stands for. */
  note: string;
  batch: number;
  inLength: number;
  inChannels: number;
  filters: number;
  kernelSize: number;
  stride: number;
  dilation: number;
  groups: number;
  padding: 'valid' | 'same' | 'causal';
}

export const SHAPES: BenchShape[] = [
  { id: 'a', note: 'B1 L16000 1→16 k9 (raw audio front end)', batch: 1, inLength: 16000, inChannels: 1, filters: 16, kernelSize: 9, stride: 1, dilation: 1, groups: 1, padding: 'valid' },
  { id: 'b', note: 'B8 L1024 64→64 k3 same', batch: 8, inLength: 1024, inChannels: 64, filters: 64, kernelSize: 3, stride: 1, dilation: 1, groups: 1, padding: 'same' },
  { id: 'c', note: 'B1 L4096 128→128 k5 d4 causal', batch: 1, inLength: 4096, inChannels: 128, filters: 128, kernelSize: 5, stride: 1, dilation: 4, groups: 1, padding: 'causal' },
  { id: 'd', note: 'B32 L128 256→256 k3 s2 valid', batch: 32, inLength: 128, inChannels: 256, filters: 256, kernelSize: 3, stride: 2, dilation: 1, groups: 1, padding: 'valid' },
  { id: 'e', note: 'B4 L2048 64→64 k3 groups 8 same', batch: 4, inLength: 2048, inChannels: 64, filters: 64, kernelSize: 3, stride: 1, dilation: 1, groups: 8, padding: 'same' },
  { id: 'f', note: 'B1 L10 128→32 k3 valid (per-call overhead)', batch: 1, inLength: 10, inChannels: 128, filters: 32, kernelSize: 3, stride: 1, dilation: 1, groups: 1, padding: 'valid' },
];

/** Keras padding → (padBefore, padAfter, outLength), by src/ir/padding.ts. */
export function resolveShape(sh: BenchShape): { spec: Conv1DSpec; padAfter: number } {
  const padding: Padding = sh.padding === 'same' ? samePadding() : sh.padding === 'causal' ? causalPadding(sh.kernelSize, sh.dilation) : validPadding();
  const { before, after, outLength } = resolvePadding(padding, sh.inLength, sh.kernelSize, sh.stride, sh.dilation);
  const spec: Conv1DSpec = {
    batch: sh.batch,
    inLength: sh.inLength,
    inChannels: sh.inChannels,
    filters: sh.filters,
    kernelSize: sh.kernelSize,
    stride: sh.stride,
    dilation: sh.dilation,
    groups: sh.groups,
    padBefore: before,
    outLength,
  };
  return { spec, padAfter: after };
}

/** Mulberry32, the API's seeded generator: the same seed gives the same problem on every machine. */
export const seededRandom = seededUniform;

export function benchProblem(sh: BenchShape, seed = 8): BenchProblem {
  const { spec, padAfter } = resolveShape(sh);
  const rnd = seededRandom(seed);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  const fanIn = spec.kernelSize * (spec.inChannels / spec.groups);
  return {
    spec,
    padding: sh.padding,
    padAfter,
    x: fill(spec.batch * spec.inLength * spec.inChannels, 1),
    kernel: fill(fanIn * spec.filters, 1 / Math.sqrt(fanIn)),
    bias: fill(spec.filters, 0.1),
  };
}
