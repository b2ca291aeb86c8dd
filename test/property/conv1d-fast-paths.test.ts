/**
 * Every fast Conv1D path against the reference kernel (src/runtime/kernels/conv1d-reference.ts),
 * 2000+ seeded random problems each, through the runtime's Conv1DImpl signature:
 *   typed-tuned         the tuned typed-array kernel
 *   wasm-simd           the WASM SIMD kernel on the calling thread
 *   wasm-simd-threads   the same kernel split across 2 threads (even tiny problems are split)
 * Problems cover batch, length, channels, filters per group that are not multiples of any panel
 * width, kernel, stride, dilation, groups, every padding kind, both layouts, every elementwise
 * activation, with and without bias. A fourth test drives the WASM kernel directly with every
 * panel width (4/8/16) and chunk lengths that cut rows mid-tile.
 *
 * Error measure as in conv1d.test.ts: max |path - reference| / max(1, max |reference|) ≤ 1e-5.
 * Replay one case: FAST_SEED=<seed> FAST_CASE=<index> npx vitest run test/property/conv1d-fast-paths.test.ts
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation, ActivationFn, Layout, Padding } from '../../src/ir/ops/index.js';
import { causalPadding, resolvePadding } from '../../src/ir/padding.js';
import type { Conv1DSpec } from '../../src/runtime/conv1d-spec.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DGeometry, Conv1DImpl, Conv1DParams } from '../../src/runtime/kernels/conv1d-types.js';
import { conv1dTuned } from '../../src/bench/conv1d-tuned.js';
import { conv1dWasmSimd } from '../../src/runtime/select-conv1d.js';
import { conv1dThreads, prepareConv1dThreaded, ThreadPool } from '../../src/runtime/threads/index.js';
import { prepareConv1dWasm, wasmSimdSupported } from '../../src/runtime/wasm/engine.js';
import { Rng } from '../helpers/random.js';

const SEED = Number(process.env.FAST_SEED ?? 8088);
const CASES = Number(process.env.FAST_CASES ?? 2000);
const ONLY = process.env.FAST_CASE === undefined ? null : Number(process.env.FAST_CASE);
const MAX_REL_ERROR = 1e-5;

const ACTIVATIONS: Activation[] = (
  ['linear', 'linear', 'relu', 'relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'gelu', 'tanh', 'sigmoid', 'hard_sigmoid', 'swish', 'softplus'] as ActivationFn[]
).map((fn) => ({ fn }));
ACTIVATIONS.push({ fn: 'relu', alpha: 0.1, maxValue: 0.8, threshold: -0.2 });

interface Problem {
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

function problem(index: number): Problem {
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

function reference(p: Problem, params = p.params): Float32Array {
  const out = new Float32Array(p.geometry.batch * p.geometry.outLength * params.filters);
  conv1dReference.prepare(params, p.geometry, conv1dReference.pack(params, p.kernel, p.bias))(p.input, out);
  return out;
}

function relError(actual: Float32Array, expected: Float32Array): number {
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
  }
  return maxAbs / scale;
}

function fail(path: string, p: Problem, err: number): never {
  const { params: q, geometry: g } = p;
  throw new Error(
    `${path} case failed (max relative error ${err}); replay with FAST_SEED=${SEED} FAST_CASE=${p.index}: ` +
      JSON.stringify({ ...g, ...q, padding: p.padding, useBias: !!p.bias, block: p.block, chunk: p.chunk }),
  );
}

function checkImpl(name: string, impl: Conv1DImpl<unknown>): void {
  let worst = 0;
  const indices = ONLY === null ? [...Array(CASES).keys()] : [ONLY];
  const seen = { layouts: new Set<string>(), groups: new Set<number>(), acts: new Set<string>() };
  for (const i of indices) {
    const p = problem(i);
    const expected = reference(p);
    const actual = new Float32Array(expected.length).fill(NaN); // every element must be written
    const run = impl.prepare(p.params, p.geometry, impl.pack(p.params, p.kernel, p.bias));
    run(p.input, actual);
    run(p.input, actual); // a second run sees no leftovers of the first
    const err = relError(actual, expected);
    if (!(err <= MAX_REL_ERROR)) fail(name, p, err);
    worst = Math.max(worst, err);
    seen.layouts.add(p.params.layout);
    seen.groups.add(p.params.groups);
    seen.acts.add(p.params.activation.fn);
  }
  console.log(`${name}: ${indices.length} cases (seed ${SEED}), max relative error ${worst.toExponential(3)}`);
  if (ONLY === null) {
    expect(seen.layouts.size).toBe(2);
    expect(seen.groups.size).toBe(5);
    expect(seen.acts.size).toBeGreaterThan(10);
  }
}

describe('fast Conv1D paths agree with the reference kernel', () => {
  const pool = new ThreadPool(2, { minFlopsPerThread: 1 });
  afterAll(() => pool.close());

  it('WASM SIMD is available on Node 20 (else the default silently falls back to blocked)', () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  it(`typed-tuned on ${CASES} seeded problems`, () => checkImpl('typed-tuned', conv1dTuned as Conv1DImpl<unknown>));

  it(`wasm-simd on ${CASES} seeded problems`, () => checkImpl('wasm-simd', conv1dWasmSimd as Conv1DImpl<unknown>));

  it(`wasm-simd-threads on ${CASES} seeded problems, split across 2 threads`, () => checkImpl('wasm-simd-threads', conv1dThreads(pool)));

  it(`the WASM kernel with every panel width and chunk length, ${CASES} problems, 1 and 2 threads`, () => {
    const indices = ONLY === null ? [...Array(CASES).keys()] : [ONLY];
    for (const i of indices) {
      const p = problem(i + 100_000);
      const { params: q, geometry: g } = p;
      const relu = p.index % 2 === 0;
      const params: Conv1DParams = { ...q, layout: 'NWC', activation: relu ? { fn: 'relu' } : { fn: 'linear' } };
      const expected = reference(p, params);
      const spec: Conv1DSpec = { ...g, inChannels: q.inChannels, filters: q.filters, kernelSize: q.kernelSize, stride: q.stride, dilation: q.dilation, groups: q.groups, relu };
      const tiling = { block: p.block, chunk: p.chunk };
      const prepared = i % 2 ? prepareConv1dWasm(spec, p.kernel, p.bias, { tiling }) : prepareConv1dThreaded(spec, p.kernel, p.bias, pool, tiling);
      const actual = new Float32Array(expected.length).fill(NaN);
      prepared.run(p.input, actual);
      prepared.dispose();
      const err = relError(actual, expected);
      if (!(err <= MAX_REL_ERROR)) fail(prepared.path, p, err);
    }
  });

  it('a corrupted WASM result is caught (guards the guard)', () => {
    const p = problem(3);
    const expected = reference(p);
    const bad = p.kernel.slice();
    bad[0] += 1;
    const impl = conv1dWasmSimd;
    const actual = new Float32Array(expected.length);
    impl.prepare(p.params, p.geometry, impl.pack(p.params, bad, p.bias))(p.input, actual);
    expect(relError(actual, expected)).toBeGreaterThan(1e-3);
  });

  it('the worker thread really computes part of a split problem', async () => {
    const rng = new Rng(7);
    const spec: Conv1DSpec = { batch: 4, inLength: 512, inChannels: 64, filters: 64, kernelSize: 3, stride: 1, dilation: 1, groups: 1, padBefore: 1, outLength: 512 };
    const prepared = prepareConv1dThreaded(spec, rng.floats(3 * 64 * 64), rng.floats(64), pool);
    const x = rng.floats(4 * 512 * 64);
    const y = new Float32Array(4 * 512 * 64);
    let helped = false;
    for (let i = 0; i < 50 && !helped; i++) {
      prepared.run(x, y);
      helped = pool.lastSplit.byCaller < pool.lastSplit.chunks;
      if (!helped) await new Promise((r) => setTimeout(r, 10)); // let a just-started worker boot
    }
    prepared.dispose();
    expect(helped).toBe(true);
  });

  it('freed WASM regions are reused: compiling and dropping plans does not grow memory', () => {
    const p = problem(42);
    const spec: Conv1DSpec = { ...p.geometry, inChannels: p.params.inChannels, filters: p.params.filters, kernelSize: p.params.kernelSize, stride: p.params.stride, dilation: p.params.dilation, groups: p.params.groups };
    prepareConv1dThreaded(spec, p.kernel, p.bias, pool).dispose();
    const before = pool.arena.memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) prepareConv1dThreaded(spec, p.kernel, p.bias, pool).dispose();
    expect(pool.arena.memory.buffer.byteLength).toBe(before);
  });
});
