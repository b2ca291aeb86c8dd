/**
 * The seeded random Conv1D problems of the fast-path property tests
 * (test/property/conv1d-fast-paths.test.ts), shared with the relaxed-SIMD child
 * (test/property/fma-child.ts), which runs them under a Node flag in another process.
 */
import type { Activation, ActivationFn, Layout, Padding } from '../../src/ir/ops/index.js';
import { causalPadding, resolvePadding } from '../../src/ir/padding.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DSpec, PreparedConv1D } from '../../src/runtime/conv1d-spec.js';
import type { Conv1DGeometry, Conv1DImpl, Conv1DParams } from '../../src/runtime/kernels/conv1d-types.js';
import type { WasmTiling } from '../../src/runtime/wasm/engine.js';
import { Rng } from './random.js';

export const SEED = Number(process.env.FAST_SEED ?? 8088);

export const ACTIVATIONS: Activation[] = (
  ['linear', 'linear', 'relu', 'relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'gelu', 'tanh', 'sigmoid', 'hard_sigmoid', 'swish', 'softplus'] as ActivationFn[]
).map((fn) => ({ fn }));
ACTIVATIONS.push({ fn: 'relu', alpha: 0.1, maxValue: 0.8, threshold: -0.2 });

export interface Problem {
  index: number;
  params: Conv1DParams;
  geometry: Conv1DGeometry;
  padding: Padding;
  kernel: Float32Array;
  bias: Float32Array | null;
  input: Float32Array;
  /** For the direct WASM test: panel width and chunk length. */
  block: 4 | 8 | 16;
  chunk: number;
}

export function problem(index: number): Problem {
  const rng = new Rng(SEED * 7919 + index);
  const big = rng.bool(0.15);
  const groups = rng.pick([1, 1, 1, 2, 3, 4, 8]);
  const cpg = rng.int(1, big ? 40 : 9);
  const fpg = rng.int(1, big ? 40 : 19);
  const kernelSize = rng.int(1, 7);
  const stride = rng.pick([1, 1, 2, 3, 4]);
  const dilation = rng.pick([1, 1, 2, 3, 4]);
  const keff = dilation * (kernelSize - 1) + 1;
  const kind = rng.pick(['valid', 'same', 'causal', 'explicit']);
  const padding: Padding =
    kind === 'valid' ? { kind: 'explicit', before: 0, after: 0 } : kind === 'same' ? { kind: 'same' } : kind === 'causal' ? causalPadding(kernelSize, dilation) : { kind: 'explicit', before: rng.int(0, 9), after: rng.int(0, 9) };
  let length = rng.int(1, big ? 90 : 48);
  if (resolvePadding(padding, length, kernelSize, stride, dilation).outLength <= 0) length = keff + rng.int(0, 10);
  const pad = resolvePadding(padding, length, kernelSize, stride, dilation);
  const layout: Layout = rng.pick(['NWC', 'NWC', 'NCW']);
  const params: Conv1DParams = { kernelSize, stride, dilation, groups, inChannels: groups * cpg, filters: groups * fpg, layout, activation: rng.pick(ACTIVATIONS) };
  const batch = rng.int(1, 3);
  return {
    index,
    params,
    geometry: { batch, inLength: length, outLength: pad.outLength, padBefore: pad.before },
    padding,
    kernel: rng.floats(kernelSize * cpg * params.filters, 0.5),
    bias: rng.bool(0.8) ? rng.floats(params.filters, 0.5) : null,
    input: rng.floats(batch * length * params.inChannels),
    block: rng.pick([4, 8, 16] as const),
    chunk: rng.pick([1, 5, 6, 7, 48, 1000]),
  };
}

export function reference(p: Problem, params = p.params): Float32Array {
  const out = new Float32Array(p.geometry.batch * p.geometry.outLength * params.filters);
  conv1dReference.prepare(params, p.geometry, conv1dReference.pack(params, p.kernel, p.bias))(p.input, out);
  return out;
}

export function relError(actual: Float32Array, expected: Float32Array): number {
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
  }
  return maxAbs / scale;
}


export const MAX_REL_ERROR = 1e-5;

export interface CaseReport {
  cases: number;
  worst: number;
  /** The first case over MAX_REL_ERROR, described for replay; null when every case passed. */
  failure: string | null;
  layouts: number;
  groups: number;
  activations: number;
}

export function describeFailure(path: string, p: Problem, err: number): string {
  const { params: q, geometry: g } = p;
  return (
    `${path} case failed (max relative error ${err}); replay with FAST_SEED=${SEED} FAST_CASE=${p.index}: ` +
    JSON.stringify({ ...g, ...q, padding: p.padding, useBias: !!p.bias, block: p.block, chunk: p.chunk })
  );
}

/** Runs `impl` on the problems `indices` (twice each: a second run must see no leftovers) against the reference. */
export function checkCases(name: string, impl: Conv1DImpl<unknown>, indices: number[]): CaseReport {
  let worst = 0;
  const seen = { layouts: new Set<string>(), groups: new Set<number>(), acts: new Set<string>() };
  for (const i of indices) {
    const p = problem(i);
    const expected = reference(p);
    const actual = new Float32Array(expected.length).fill(NaN); // every element must be written
    const run = impl.prepare(p.params, p.geometry, impl.pack(p.params, p.kernel, p.bias));
    run(p.input, actual);
    run(p.input, actual);
    const err = relError(actual, expected);
    if (!(err <= MAX_REL_ERROR)) return { cases: indices.length, worst: err, failure: describeFailure(name, p, err), layouts: 0, groups: 0, activations: 0 };
    worst = Math.max(worst, err);
    seen.layouts.add(p.params.layout);
    seen.groups.add(p.params.groups);
    seen.acts.add(p.params.activation.fn);
  }
  return { cases: indices.length, worst, failure: null, layouts: seen.layouts.size, groups: seen.groups.size, activations: seen.acts.size };
}

/**
 * Drives the WASM kernel directly (channels last, relu or linear) with the problem's own panel
 * width and chunk length, which cut rows mid-tile; `prepare` picks the thread setup per index.
 */
export function checkDirectCases(indices: number[], prepare: (i: number, spec: Conv1DSpec, p: Problem, tiling: WasmTiling) => PreparedConv1D): CaseReport {
  let worst = 0;
  for (const i of indices) {
    const p = problem(i + 100_000);
    const { params: q, geometry: g } = p;
    const relu = p.index % 2 === 0;
    const params: Conv1DParams = { ...q, layout: 'NWC', activation: relu ? { fn: 'relu' } : { fn: 'linear' } };
    const expected = reference(p, params);
    const spec: Conv1DSpec = { ...g, inChannels: q.inChannels, filters: q.filters, kernelSize: q.kernelSize, stride: q.stride, dilation: q.dilation, groups: q.groups, relu };
    const prepared = prepare(i, spec, p, { block: p.block, chunk: p.chunk });
    const actual = new Float32Array(expected.length).fill(NaN);
    prepared.run(p.input, actual);
    prepared.dispose();
    const err = relError(actual, expected);
    if (!(err <= MAX_REL_ERROR)) return { cases: indices.length, worst: err, failure: describeFailure(prepared.path, p, err), layouts: 1, groups: 0, activations: 2 };
    worst = Math.max(worst, err);
  }
  return { cases: indices.length, worst, failure: null, layouts: 1, groups: 0, activations: 2 };
}
