/**
 * Property test: the blocked Conv1D kernel agrees with the reference kernel on seeded random
 * problems covering batch, length, channels, filters, kernel, stride, dilation, groups, every
 * padding kind, both layouts, every elementwise activation, with and without bias.
 *
 * Error measure per case: max_i |blocked_i - reference_i| / max(1, max_i |reference_i|), i.e. the
 * absolute error relative to the output's scale (an element that cancels to ~0 is judged against
 * the tensor's magnitude, as in the `close` tolerance). Must be ≤ 1e-5 for every case.
 *
 * Replay one case: CONV1D_SEED=<seed> CONV1D_CASE=<index> npx vitest run test/property/conv1d.test.ts
 */
import { describe, expect, it } from 'vitest';
import type { Activation, ActivationFn, Layout, Padding } from '../../src/ir/ops/index.js';
import { causalPadding, resolvePadding } from '../../src/ir/padding.js';
import { conv1dBlocked } from '../../src/runtime/kernels/conv1d-blocked.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DParams } from '../../src/runtime/kernels/conv1d-types.js';
import { Rng } from '../helpers/random.js';

const SEED = Number(process.env.CONV1D_SEED ?? 20240601);
const CASES = Number(process.env.CONV1D_CASES ?? 2500);
const ONLY = process.env.CONV1D_CASE === undefined ? null : Number(process.env.CONV1D_CASE);
const MAX_REL_ERROR = 1e-5;

const ACTIVATIONS: Activation[] = (
  ['linear', 'relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'gelu', 'gelu_tanh', 'tanh', 'sigmoid', 'hard_sigmoid', 'hard_silu', 'softplus', 'softsign', 'swish', 'mish', 'exponential', 'thresholded_relu'] as ActivationFn[]
).map((fn) => ({ fn }));
ACTIVATIONS.push({ fn: 'relu', alpha: 0.1, maxValue: 0.8, threshold: -0.2 }, { fn: 'elu', alpha: 0.7 }, { fn: 'leaky_relu', alpha: 0.3 });

interface Problem {
  index: number;
  batch: number;
  length: number;
  params: Conv1DParams;
  padding: Padding;
  paddingName: string;
  useBias: boolean;
}

/** Case `index` of the seeded sequence: each case has its own stream, so one can be replayed alone. */
function problem(index: number): Problem {
  const rng = new Rng(SEED * 7919 + index);
  const big = rng.bool(0.1); // some cases with more channels/filters to exercise whole tiles
  const groups = rng.pick([1, 1, 1, 2, 3, 4]);
  const cpg = rng.int(1, big ? 24 : 5);
  const fpg = rng.int(1, big ? 24 : 7);
  const kernelSize = rng.int(1, 7);
  const stride = rng.int(1, 4);
  const dilation = rng.int(1, 4);
  const keff = dilation * (kernelSize - 1) + 1;
  const paddingName = rng.pick(['valid', 'same', 'causal', 'explicit']);
  let padding: Padding;
  if (paddingName === 'valid') padding = { kind: 'explicit', before: 0, after: 0 };
  else if (paddingName === 'same') padding = { kind: 'same' };
  else if (paddingName === 'causal') padding = causalPadding(kernelSize, dilation);
  else padding = { kind: 'explicit', before: rng.int(0, 6), after: rng.int(0, 6) };
  let length = rng.int(1, big ? 120 : 40);
  if (resolvePadding(padding, length, kernelSize, stride, dilation).outLength <= 0) length = keff + rng.int(0, 10);
  const layout: Layout = rng.pick(['NWC', 'NCW']);
  const activation = rng.pick(ACTIVATIONS);
  return {
    index,
    batch: rng.int(1, 3),
    length,
    params: { kernelSize, stride, dilation, groups, inChannels: groups * cpg, filters: groups * fpg, layout, activation },
    padding,
    paddingName,
    useBias: rng.bool(),
  };
}

function runBoth(p: Problem): { maxRelError: number; scale: number } {
  const rng = new Rng(SEED * 104729 + p.index);
  const { params } = p;
  const kernel = rng.floats(params.kernelSize * (params.inChannels / params.groups) * params.filters, 0.5);
  const bias = p.useBias ? rng.floats(params.filters, 0.5) : null;
  const input = rng.floats(p.batch * p.length * params.inChannels);
  const pad = resolvePadding(p.padding, p.length, params.kernelSize, params.stride, params.dilation);
  const geometry = { batch: p.batch, inLength: p.length, outLength: pad.outLength, padBefore: pad.before };
  const n = p.batch * pad.outLength * params.filters;
  const expected = new Float32Array(n);
  const actual = new Float32Array(n).fill(NaN); // every element must be written
  conv1dReference.prepare(params, geometry, conv1dReference.pack(params, kernel, bias))(input, expected);
  conv1dBlocked.prepare(params, geometry, conv1dBlocked.pack(params, kernel, bias))(input, actual);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
  }
  return { maxRelError: maxAbs / scale, scale };
}

function describeProblem(p: Problem): string {
  const { params: q } = p;
  return JSON.stringify({
    seed: SEED, case: p.index, batch: p.batch, length: p.length, inChannels: q.inChannels, filters: q.filters,
    kernelSize: q.kernelSize, stride: q.stride, dilation: q.dilation, groups: q.groups, padding: p.paddingName,
    resolved: p.padding, layout: q.layout, activation: q.activation, useBias: p.useBias,
  });
}

describe('Conv1D blocked kernel vs reference kernel', () => {
  it(`agrees on ${ONLY === null ? CASES : 1} seeded random problems (seed ${SEED}) within ${MAX_REL_ERROR}`, () => {
    let worst = { error: 0, case: -1 };
    const seen = { paddings: new Set<string>(), layouts: new Set<string>(), groups: new Set<number>(), strides: new Set<number>(), dilations: new Set<number>() };
    const indices = ONLY === null ? [...Array(CASES).keys()] : [ONLY];
    for (const i of indices) {
      const p = problem(i);
      const { maxRelError } = runBoth(p);
      if (!(maxRelError <= MAX_REL_ERROR)) {
        throw new Error(`case failed (max relative error ${maxRelError}); replay with CONV1D_SEED=${SEED} CONV1D_CASE=${i}: ${describeProblem(p)}`);
      }
      if (maxRelError > worst.error) worst = { error: maxRelError, case: i };
      seen.paddings.add(p.paddingName);
      seen.layouts.add(p.params.layout);
      seen.groups.add(p.params.groups);
      seen.strides.add(p.params.stride);
      seen.dilations.add(p.params.dilation);
    }
    console.log(`conv1d property: ${indices.length} cases, seed ${SEED}, max relative error ${worst.error.toExponential(3)} (case ${worst.case})`);
    if (ONLY === null) {
      expect([...seen.paddings].sort()).toEqual(['causal', 'explicit', 'same', 'valid']);
      expect(seen.layouts.size).toBe(2);
      expect(seen.groups.size).toBe(4);
      expect(seen.strides.size).toBe(4);
      expect(seen.dilations.size).toBe(4);
    }
  });

  it('reports a wrong result: a corrupted blocked kernel is caught', () => {
    // Guards the guard: shifting one weight must push the error far past the threshold.
    const p = problem(0);
    const { params } = p;
    const kernel = new Rng(1).floats(params.kernelSize * (params.inChannels / params.groups) * params.filters);
    const pad = resolvePadding(p.padding, p.length, params.kernelSize, params.stride, params.dilation);
    const geometry = { batch: p.batch, inLength: p.length, outLength: pad.outLength, padBefore: pad.before };
    const input = new Rng(2).floats(p.batch * p.length * params.inChannels);
    const a = new Float32Array(p.batch * pad.outLength * params.filters);
    const b = new Float32Array(a.length);
    const linear = { ...params, activation: { fn: 'linear' as const } };
    conv1dReference.prepare(linear, geometry, conv1dReference.pack(linear, kernel, null))(input, a);
    const bad = kernel.slice();
    bad[0] += 1;
    conv1dBlocked.prepare(linear, geometry, conv1dBlocked.pack(linear, bad, null))(input, b);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeGreaterThan(1e-3);
  });
});
