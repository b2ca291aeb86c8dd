/**
 * The WebAssembly SIMD pooling kernels (./assembly/pool.ts) as the JS kernels call them: channels
 * last, on Float32Arrays that already lie in a kernel arena's memory (a plan's values, see
 * runtime/workspace.ts). Anywhere else they return false and the JS loop (the reference) runs.
 */
import type { PoolGeometry } from '../kernels/pool.js';
import { arenaOf } from './engine.js';

type Pool1d = (kind: number, x: number, y: number, batch: number, inLength: number, outLength: number, channels: number, poolSize: number, stride: number, padBefore: number) => void;
type GlobalPool1d = (kind: number, x: number, y: number, batch: number, steps: number, channels: number) => void;

const KIND = { max: 0, average: 1 } as const;


/** Windowed pooling of a channels-last input; false when it cannot run in WASM. */
export function wasmPool(kind: 'max' | 'average', g: Omit<PoolGeometry, 'layout'>, input: Float32Array, output: Float32Array): boolean {
  const arena = arenaOf(input, output);
  if (!arena) return false;
  (arena.exports.pool1d as Pool1d)(KIND[kind], input.byteOffset, output.byteOffset, g.batch, g.inLength, g.outLength, g.channels, g.poolSize, g.stride, g.padBefore);
  return true;
}

/** Global pooling of a channels-last input; false when it cannot run in WASM. */
export function wasmGlobalPool(kind: 'max' | 'average', batch: number, steps: number, channels: number, input: Float32Array, output: Float32Array): boolean {
  const arena = arenaOf(input, output);
  if (!arena) return false;
  (arena.exports.globalPool1d as GlobalPool1d)(KIND[kind], input.byteOffset, output.byteOffset, batch, steps, channels);
  return true;
}
