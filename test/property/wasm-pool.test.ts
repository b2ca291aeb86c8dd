/**
 * The WebAssembly SIMD pooling kernels (src/runtime/wasm/assembly/pool.ts) against the JS loops
 * they stand in for (src/runtime/kernels/pool.ts), which stay the reference: seeded random
 * channels-last problems (channel counts off the vector width, every padding kind, strides,
 * windows cut by padding), values including NaN, ±0, ±Infinity and huge magnitudes. Equal bit
 * for bit (NaN: any NaN).
 */
import { describe, expect, it } from 'vitest';
import type { Padding } from '../../src/ir/ops/index.js';
import { causalPadding, resolvePadding, samePadding, validPadding } from '../../src/ir/padding.js';
import { prepareGlobalPool, preparePool } from '../../src/runtime/kernels/pool.js';
import { sharedPlainArena } from '../../src/runtime/wasm/engine.js';
import { wasmPool } from '../../src/runtime/wasm/pool.js';
import { Rng } from '../helpers/random.js';
import { expectSameBits, valuesWithSpecials } from '../helpers/special-values.js';

const CASES = Number(process.env.POOL_CASES ?? 400);
describe('WASM pooling kernels equal the JS kernels', () => {
  const arena = sharedPlainArena();
  /** Runs `run` on arena copies of `x` (and a fresh arena output) and returns the output. */
  const inArena = (x: Float32Array, outLength: number, run: (x: Float32Array, y: Float32Array) => void): Float32Array => {
    const xAt = arena.alloc(x.length * 4);
    const yAt = arena.alloc(outLength * 4);
    arena.f32(xAt, x.length).set(x);
    run(arena.f32(xAt, x.length), arena.f32(yAt, outLength));
    const y = arena.f32(yAt, outLength).slice();
    arena.release(xAt, x.length * 4);
    arena.release(yAt, outLength * 4);
    return y;
  };

  it('arena views take the WASM path, JS-heap arrays the JS loop', () => {
    const g = { batch: 1, inLength: 4, outLength: 2, channels: 4, poolSize: 2, stride: 2, padBefore: 0 };
    expect(inArena(new Float32Array(16).fill(1), 8, (x, y) => expect(wasmPool('max', g, x, y)).toBe(true))).toEqual(new Float32Array(8).fill(1));
    expect(wasmPool('max', g, new Float32Array(16), new Float32Array(8))).toBe(false);
  });

  it(`windowed max and average pooling, ${CASES} seeded cases`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(41000 + i);
      const kind = i % 2 ? 'max' : 'average';
      const batch = rng.int(1, 3);
      const channels = rng.int(1, 19);
      const poolSize = rng.int(1, 6);
      const stride = rng.int(1, 4);
      const inLength = rng.int(poolSize, 40);
      const padding: Padding = rng.pick([validPadding(), samePadding(), causalPadding(poolSize, 1)]);
      const pad = resolvePadding(padding, inLength, poolSize, stride, 1);
      const g = { batch, inLength, outLength: pad.outLength, channels, poolSize, stride, padBefore: pad.before, layout: 'NWC' as const };
      const x = valuesWithSpecials(rng, batch * inLength * channels);
      const expected = new Float32Array(batch * pad.outLength * channels);
      const run = preparePool(kind, g);
      run(x, expected);
      expectSameBits(inArena(x, expected.length, run), expected, `${kind} pool case ${i} ${JSON.stringify(g)}`);
    }
  });

  it(`global max and average pooling, ${CASES} seeded cases`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = new Rng(51000 + i);
      const kind = i % 2 ? 'max' : 'average';
      const batch = rng.int(1, 3);
      const steps = rng.int(1, 50);
      const channels = rng.int(1, 19);
      const x = valuesWithSpecials(rng, batch * steps * channels);
      const expected = new Float32Array(batch * channels);
      const run = prepareGlobalPool(kind, batch, steps, channels, 'NWC');
      run(x, expected);
      expectSameBits(inArena(x, expected.length, run), expected, `global ${kind} case ${i} (${batch}×${steps}×${channels})`);
    }
  });
});
