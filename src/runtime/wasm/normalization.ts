/**
 * The WebAssembly SIMD affine map of a BatchNormalization over the last axis
 * (./assembly/normalization.ts), inside a plan whose values lie in a kernel arena
 * (runtime/workspace.ts): its float64 scale and shift are laid out in the arena while the plan
 * compiles (owned and freed by the plan), and a run computes in place on the plan's views.
 * Anywhere else it returns false and the JS loop (the reference) runs.
 */
import { own } from '../resources.js';
import { planWorkspace } from '../workspace.js';
import { WasmArena } from './engine.js';

type Affine = (x: number, y: number, rows: number, channels: number, scale: number, shift: number) => void;

export function prepareAffineWasm(scale: Float64Array, shift: Float64Array): ((input: Float32Array, output: Float32Array) => boolean) | null {
  const arena = planWorkspace();
  if (!(arena instanceof WasmArena)) return null;
  const C = scale.length;
  const bytes = 16 * C;
  const at = arena.alloc(bytes, false);
  let released = false;
  own({
    dispose: () => {
      if (!released) arena.release(at, bytes);
      released = true;
    },
  });
  new Float64Array(arena.memory.buffer, at, C).set(scale);
  new Float64Array(arena.memory.buffer, at + 8 * C, C).set(shift);
  const affine = arena.exports.affine as Affine;
  return (input, output) => {
    if (input.buffer !== arena.memory.buffer || output.buffer !== arena.memory.buffer) return false;
    affine(input.byteOffset, output.byteOffset, input.length / C, C, at, at + 8 * C);
    return true;
  };
}
