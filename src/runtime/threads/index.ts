/**
 * Node-only entry of the threaded Conv1D path. Import from Node code only (it pulls in
 * node:worker_threads and node:os); the isomorphic runtime never imports this folder.
 */
import { availableParallelism } from 'node:os';
import type { Conv1DSpec, PreparedConv1D } from '../conv1d-spec.js';
import type { Conv1DImpl } from '../kernels/conv1d-types.js';
import { implFromPrepare } from '../prepared-impl.js';
import { setDefaultConv1d } from '../select-conv1d.js';
import { prepareConv1dWasm, wasmSimdSupported, type WasmTiling } from '../wasm/engine.js';
import { setDefaultSpawn, ThreadPool } from './pool.js';
import { spawnNodeWorker } from './node-spawn.js';

// Pools made from Node code (here, tests, the bench) start Node worker threads.
setDefaultSpawn(spawnNodeWorker);

export { ThreadPool, MIN_FLOPS_PER_THREAD } from './pool.js';

let defaultPool: ThreadPool | null = null;

/** One process-wide pool sized to the machine (all cores, the caller included). */
export function defaultThreadPool(): ThreadPool {
  defaultPool ??= new ThreadPool(Math.max(1, availableParallelism()));
  return defaultPool;
}

/** A Conv1D on the WASM SIMD kernel, split across `pool`'s threads when it is big enough. */
export function prepareConv1dThreaded(
  spec: Conv1DSpec,
  kernel: Float32Array,
  bias: Float32Array | null,
  pool: ThreadPool = defaultThreadPool(),
  tiling?: WasmTiling,
): PreparedConv1D {
  return prepareConv1dWasm(spec, kernel, bias, { arena: pool.arena, executor: pool, tiling, path: 'wasm-simd-threads' });
}

/** The runtime's Conv1DImpl for the threaded path (one per pool). */
export function conv1dThreads(pool: ThreadPool = defaultThreadPool()): Conv1DImpl<unknown> {
  return implFromPrepare(`wasm-simd-threads-${pool.threads}`, (s, k, b) => prepareConv1dThreaded(s, k, b, pool), () => pool.arena) as Conv1DImpl<unknown>;
}

/**
 * Makes the worker-thread path the runtime's default Conv1D (Node only; the CLI and the Node
 * entry call this). Falls back to nothing when WASM SIMD is missing: the default stays blocked.
 */
export function useThreads(pool?: ThreadPool): void {
  if (!wasmSimdSupported()) return;
  // Without an explicit pool, the process-wide one is created on the first Conv1D compile, so a
  // process that never compiles one (e.g. `kconv inspect`) never starts a worker.
  setDefaultConv1d(
    pool
      ? conv1dThreads(pool)
      : (implFromPrepare('wasm-simd-threads', (s, k, b) => prepareConv1dThreaded(s, k, b, defaultThreadPool()), () => defaultThreadPool().arena) as Conv1DImpl<unknown>),
  );
}
