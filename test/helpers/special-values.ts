/**
 * Inputs for the bit-for-bit property tests of the WASM kernels against the JS kernels: seeded
 * floats sprinkled with the values where float semantics differ (NaN, ±0, ±Infinity, huge and
 * subnormal magnitudes), and the comparison (NaN matches any NaN; otherwise Object.is, so +0 and
 * -0 differ).
 */
import { expect } from 'vitest';
import type { Rng } from './random.js';

export const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1e-40, -1e-40, 3e38, -3e38, 1, -1];

/** n seeded floats (scale 4), each special with probability `p`. */
export function valuesWithSpecials(rng: Rng, n: number, p = 0.08): Float32Array {
  const out = rng.floats(n, 4);
  for (let i = 0; i < n; i++) if (rng.bool(p)) out[i] = rng.pick(SPECIAL);
  return out;
}

/** Fails naming the first element where `actual` and `expected` differ in any bit (NaN: any NaN). */
export function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const ok = Number.isNaN(expected[i]) ? Number.isNaN(actual[i]) : Object.is(actual[i], expected[i]);
    if (!ok) throw new Error(`${what}: element ${i} is ${actual[i]}, the JS kernel gives ${expected[i]}`);
  }
}
