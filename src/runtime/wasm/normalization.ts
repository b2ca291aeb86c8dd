/**
 * The WebAssembly normalization kernels (./assembly/normalization.ts: BatchNormalization's affine
 * map and LayerNormalization, both over the last axis), inside a plan whose values lie in a kernel
 * arena (runtime/workspace.ts): their parameters are laid out in the arena while the plan
 * compiles (owned and freed by the plan), and a run computes in place on the plan's views.
 * Anywhere else they return false and the JS loops (the reference) run.
 */
import { own } from '../resources.js';
import { planWorkspace } from '../workspace.js';
import { WasmArena } from './engine.js';

type Affine = (x: number, y: number, rows: number, channels: number, scale: number, shift: number) => void;
type LayerNorm = (x: number, y: number, rows: number, n: number, epsilon: number, gamma: number, beta: number, rmsScaling: number) => void;

/** `bytes` of the plan's arena, owned by the plan (freed once, by dispose or the GC). */
function planRegion(arena: WasmArena, bytes: number): number {
  const at = arena.alloc(Math.max(bytes, 1), false);
  let released = false;
  own({
    dispose: () => {
      if (!released) arena.release(at, Math.max(bytes, 1));
      released = true;
    },
  });
  return at;
}

export function prepareAffineWasm(scale: Float64Array, shift: Float64Array): ((input: Float32Array, output: Float32Array) => boolean) | null {
  const arena = planWorkspace();
  if (!(arena instanceof WasmArena)) return null;
  const C = scale.length;
  const at = planRegion(arena, 16 * C);
  new Float64Array(arena.memory.buffer, at, C).set(scale);
  new Float64Array(arena.memory.buffer, at + 8 * C, C).set(shift);
  const affine = arena.exports.affine as Affine;
  return (input, output) => {
    if (input.buffer !== arena.memory.buffer || output.buffer !== arena.memory.buffer) return false;
    affine(input.byteOffset, output.byteOffset, input.length / C, C, at, at + 8 * C);
    return true;
  };
}

/** LayerNormalization over the last axis (n values per row). */
export function prepareLayerNormWasm(n: number, epsilon: number, gamma: Float32Array | null, beta: Float32Array | null, rmsScaling: boolean): ((input: Float32Array, output: Float32Array) => boolean) | null {
  const arena = planWorkspace();
  if (!(arena instanceof WasmArena) || n < 1) return null;
  const gammaAt = gamma ? planRegion(arena, 4 * n) : 0;
  if (gamma) new Float32Array(arena.memory.buffer, gammaAt, n).set(gamma);
  const betaAt = beta ? planRegion(arena, 4 * n) : 0;
  if (beta) new Float32Array(arena.memory.buffer, betaAt, n).set(beta);
  const layerNorm = arena.exports.layerNorm as LayerNorm;
  return (input, output) => {
    if (input.buffer !== arena.memory.buffer || output.buffer !== arena.memory.buffer) return false;
    layerNorm(input.byteOffset, output.byteOffset, input.length / n, n, epsilon, gammaAt, betaAt, rmsScaling ? 1 : 0);
    return true;
  };
}
