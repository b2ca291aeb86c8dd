/**
 * Threads in browsers: the WASM SIMD Conv1D split over Web Workers on one shared memory, the same
 * pool as Node's (./pool.ts) with Web Workers as its threads.
 *
 * Only where the page is cross-origin isolated (served with COOP/COEP headers; the demo server
 * sends them): only there do SharedArrayBuffer and shared WebAssembly memories exist. The
 * workers start from a Blob URL (no separate file to serve) and receive the module and memory
 * by postMessage; until one has started, the calling thread simply does all the work (work is
 * claimed, not assigned). The calling thread never blocks with Atomics.wait (browsers forbid it
 * on the main thread): it spins only while a worker finishes the chunk it claimed.
 */
import type { Conv1DImpl } from '../kernels/conv1d-types.js';
import { implFromPrepare } from '../prepared-impl.js';
import { prepareConv1dWasm, wasmSimdSupported } from '../wasm/engine.js';
import { ThreadPool, type SpawnWorker } from './pool.js';

interface WebWorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
}

/** Web Workers as a ThreadPool spawner. */
export const spawnWebWorker: SpawnWorker = (main, data) => {
  const source = `onmessage = (e) => { onmessage = null; (${main.toString()})(e.data); };`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const WorkerCtor = (globalThis as unknown as { Worker: new (url: string) => WebWorkerLike }).Worker;
  const w = new WorkerCtor(url);
  URL.revokeObjectURL(url);
  w.postMessage(data);
  return w;
};

/** Whether this is a browser page (or worker) that can run the pool: isolated, with workers and cores to spare. */
export function webThreadsAvailable(): boolean {
  const g = globalThis as unknown as { crossOriginIsolated?: boolean; Worker?: unknown; navigator?: { hardwareConcurrency?: number }; process?: unknown };
  return (
    g.crossOriginIsolated === true &&
    typeof g.Worker === 'function' &&
    typeof SharedArrayBuffer === 'function' &&
    (g.navigator?.hardwareConcurrency ?? 1) > 1 &&
    wasmSimdSupported()
  );
}

let pool: ThreadPool | null = null;

/** The page's pool (all cores, the calling thread included), started on first use. */
export function webThreadPool(): ThreadPool {
  pool ??= new ThreadPool(Math.min(16, (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator.hardwareConcurrency), { spawn: spawnWebWorker });
  return pool;
}

/** The WASM SIMD Conv1D over the page's Web Workers: the browser default when webThreadsAvailable(). */
export const conv1dWebThreads: Conv1DImpl<unknown> = implFromPrepare(
  'wasm-simd-web-threads',
  (s, k, b) => prepareConv1dWasm(s, k, b, { arena: webThreadPool().arena, executor: webThreadPool(), path: 'wasm-simd-web-threads' }),
  () => webThreadPool().arena,
) as Conv1DImpl<unknown>;
