/**
 * The kernel-selection point of the runtime: which Conv1D implementation compile() uses when the
 * caller names none.
 *
 * Isomorphic default: the WASM SIMD kernel when the engine validates its module (split over Web
 * Workers in a cross-origin isolated page, threads/web.ts), else the blocked typed-array kernel
 * (the portable fallback). Node code may install the worker-thread
 * path with setDefaultConv1d (src/runtime/threads/index.ts: useThreads()); this module never
 * imports Node modules.
 */
import type { Conv1DImpl } from './kernels/conv1d-types.js';
import { conv1dBlocked } from './kernels/conv1d-blocked.js';
import { implFromPrepare } from './prepared-impl.js';
import { conv1dWebThreads, webThreadsAvailable } from './threads/web.js';
import { prepareConv1dWasm, sharedPlainArena, wasmSimdSupported, type KernelFlavor } from './wasm/engine.js';

/** The WASM SIMD kernel on the calling thread (its FMA build where the engine has relaxed SIMD). */
export const conv1dWasmSimd = implFromPrepare('wasm-simd', (s, k, b) => prepareConv1dWasm(s, k, b), () => sharedPlainArena());

/** The WASM kernel of one build on the calling thread, whatever the default is (tests, bench). */
export function conv1dWasm(flavor: KernelFlavor): Conv1DImpl<unknown> {
  return implFromPrepare(`wasm-${flavor}`, (s, k, b) => prepareConv1dWasm(s, k, b, { flavor }), () => sharedPlainArena(flavor)) as Conv1DImpl<unknown>;
}

let chosen: Conv1DImpl<unknown> | null = null;

/** Makes `impl` the default for plans compiled from now on; null restores the automatic choice. */
export function setDefaultConv1d(impl: Conv1DImpl<unknown> | null): void {
  chosen = impl;
}

export function defaultConv1d(): Conv1DImpl<unknown> {
  if (chosen) return chosen;
  // A cross-origin isolated browser page: the kernel over Web Workers (Node installs its own
  // worker-thread default with setDefaultConv1d, src/node.ts).
  if (webThreadsAvailable()) return conv1dWebThreads;
  return (wasmSimdSupported() ? conv1dWasmSimd : conv1dBlocked) as Conv1DImpl<unknown>;
}
