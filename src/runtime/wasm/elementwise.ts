/**
 * The WebAssembly SIMD elementwise kernels (./assembly/elementwise.ts) as the JS kernels call
 * them: on Float32Arrays that already lie in a kernel arena's memory (a plan's values, see
 * runtime/workspace.ts), in place, with no copy. Anywhere else (arrays on the JS heap, an engine
 * without WASM SIMD) they return false and the JS kernel runs, which stays the reference.
 */
import type { MergeMode } from '../../ir/ops/index.js';
import { arenaOf } from './engine.js';

// Not average: JS sums in float64, where two float32 values near the float32 maximum do not
// overflow before the division; the float32 sum would.
const MODES: Partial<Record<MergeMode, number>> = { add: 0, subtract: 1, multiply: 2, maximum: 3, minimum: 4 };

type Binary = (op: number, a: number, b: number, y: number, n: number) => void;
type Unary = (x: number, y: number, n: number) => void;

/** y = a (mode) b elementwise for two same-length arrays; false when it cannot run in WASM. */
export function wasmMerge2(mode: MergeMode, a: Float32Array, b: Float32Array, y: Float32Array): boolean {
  const op = MODES[mode];
  if (op === undefined || a.length !== y.length || b.length !== y.length) return false;
  const arena = arenaOf(a, b, y);
  if (!arena) return false;
  (arena.exports.binary as Binary)(op, a.byteOffset, b.byteOffset, y.byteOffset, y.length);
  return true;
}

/** y = max(x, 0) for two same-length arrays (y may be x); false when it cannot run in WASM. */
export function wasmRelu(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  const arena = arenaOf(x, y);
  if (!arena) return false;
  (arena.exports.relu as Unary)(x.byteOffset, y.byteOffset, y.length);
  return true;
}
