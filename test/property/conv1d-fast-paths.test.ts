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
import type { Conv1DSpec } from '../../src/runtime/conv1d-spec.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { conv1dTuned } from '../../src/bench/conv1d-tuned.js';
import { conv1dWasmSimd } from '../../src/runtime/select-conv1d.js';
import { conv1dThreads, prepareConv1dThreaded, ThreadPool } from '../../src/runtime/threads/index.js';
import { prepareConv1dWasm, wasmSimdSupported } from '../../src/runtime/wasm/engine.js';
import { checkCases, checkDirectCases, problem, reference, relError, SEED } from '../helpers/conv1d-problems.js';
import { Rng } from '../helpers/random.js';

const CASES = Number(process.env.FAST_CASES ?? 2000);
const ONLY = process.env.FAST_CASE === undefined ? null : Number(process.env.FAST_CASE);

function checkImpl(name: string, impl: Conv1DImpl<unknown>): void {
  const r = checkCases(name, impl, ONLY === null ? [...Array(CASES).keys()] : [ONLY]);
  if (r.failure) throw new Error(r.failure);
  console.log(`${name}: ${r.cases} cases (seed ${SEED}), max relative error ${r.worst.toExponential(3)}`);
  if (ONLY === null) {
    expect(r.layouts).toBe(2);
    expect(r.groups).toBe(5);
    expect(r.activations).toBeGreaterThan(10);
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
    const r = checkDirectCases(indices, (i, spec, p, tiling) =>
      i % 2 ? prepareConv1dWasm(spec, p.kernel, p.bias, { tiling }) : prepareConv1dThreaded(spec, p.kernel, p.bias, pool, tiling),
    );
    if (r.failure) throw new Error(r.failure);
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
