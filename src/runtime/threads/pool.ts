/**
 * Worker threads over one shared WebAssembly memory: a row kernel (the WASM SIMD Conv1D split by
 * output rows, the recurrences by batch rows) run across the calling thread and
 * `threads - 1` workers.
 *
 * Isomorphic: the workers come from a spawner, Node's worker_threads (./node-spawn.ts, installed
 * by ./index.ts for Node code) or a browser's Web Workers (./web.ts, used by the browser default
 * when the page is cross-origin isolated). Nothing here imports a platform module.
 *
 * Dispatch costs microseconds, not the ~50 µs of postMessage: every thread instantiates the same
 * kernel module on the same shared memory once, and a run only writes the call's arguments into
 * a small shared control block, bumps a generation counter and wakes the workers with
 * Atomics.notify. The calling thread computes its own share, then waits (Atomics.wait) for the
 * workers' pending count to reach zero. Small problems stay on the calling thread.
 */
import { defaultFlavor, kernelBytes, kernelFlags, ROW_KERNELS, WasmArena, type KernelCall, type KernelFlavor, type RowExecutor } from '../wasm/engine.js';

// Control block layout (Int32 slots).
const GEN = 0; // generation: bumped once per task to wake workers; -1 asks them to exit
const NEXT = 1; // next unclaimed chunk of the current task (CLOSED between tasks)
const DONE = 2; // chunks finished
const FAILED = 3; // set by a worker whose kernel threw
const CHUNKS = 4; // chunks in the current task
const CHUNK_ROWS = 5; // output rows per chunk
const ROWS = 6; // output rows in all
const KERNEL = 7; // which row kernel: its index in ROW_KERNELS
const NARGS = 8; // how many problem arguments
const ARGS = 9; // the problem arguments, then conv1d's flags and residual distance (kernelFlags)
const SLOTS = 32;
const MAX_ARGS = SLOTS - ARGS - 2;
const CLOSED = 1 << 30;

let defaultSpawn: SpawnWorker | null = null;

/** The spawner pools use when given none (the platform entry installs it). */
export function setDefaultSpawn(spawn: SpawnWorker): void {
  defaultSpawn = spawn;
}

/** A problem below this many flops per thread runs on the calling thread: waking a worker costs more. */
export const MIN_FLOPS_PER_THREAD = 2_000_000;

// The worker body. A spawner runs it from its source text (so it needs no separate file, and
// works the same from TypeScript sources under test, from dist/ and from a browser bundle); it
// must not use anything outside this function, so the slot numbers above are repeated as
// literals here.
//
// Work is claimed, not assigned: the rows are cut into chunks and every thread (the caller
// included) takes the next chunk with an atomic add until none is left. A worker that wakes late
// (a busy machine) simply finds nothing left; the caller never waits for work nobody started.
// Arguments are read only after a successful claim: the caller rewrites them only when NEXT is
// CLOSED and every claimed chunk is DONE, so a claimed chunk always sees its own task's arguments.
export function workerMain({ module, memory, control }: WorkerData): void {
  const c = new Int32Array(control);
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  // the row kernels, by their index in ROW_KERNELS (repeated here: this body is self-contained)
  const kernels = ['conv1d', 'lstmRows', 'gruRows', 'simpleRows'].map((name) => exports[name] as (...a: number[]) => void);
  let seen = 0;
  for (;;) {
    // spin briefly (back-to-back layers wake cheaply), then sleep
    let spins = 0;
    while (Atomics.load(c, 0) === seen) {
      if (++spins > 20000) Atomics.wait(c, 0, seen);
    }
    seen = Atomics.load(c, 0);
    if (seen < 0) return;
    for (;;) {
      const chunk = Atomics.add(c, 1, 1);
      if (chunk >= Atomics.load(c, 4)) break;
      const per = c[5];
      const start = chunk * per;
      const end = Math.min(c[6], start + per);
      try {
        const n = c[8];
        const args: number[] = [];
        for (let i = 0; i < n; i++) args.push(c[9 + i]);
        kernels[c[7]](...args, start, end, c[9 + n], c[10 + n]);
      } catch {
        Atomics.store(c, 3, 1);
      }
      Atomics.add(c, 2, 1);
    }
  }
}

/** What every worker gets: the kernel module, the shared memory and the control block. */
export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
}

/**
 * Starts one worker that runs `main(data)` (main's source text is self-contained). The worker
 * must not keep the process alive while idle.
 */
export type SpawnWorker = (main: (data: WorkerData) => void, data: WorkerData) => { terminate(): Promise<unknown> | void };

export class ThreadPool implements RowExecutor {
  readonly threads: number;
  /** The arena whose memory every thread shares: prepare Conv1Ds with it. */
  readonly arena: WasmArena;
  private readonly control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly workers: { terminate(): Promise<unknown> | void }[] = [];
  private closed = false;
  /** How the last split task was shared: chunks in all, and how many the calling thread ran. */
  lastSplit = { chunks: 0, byCaller: 0 };

  /** Work below this many flops per thread is not split (tests lower it to split everything). */
  readonly minFlopsPerThread: number;

  /** `threads` counts the calling thread: 2 means the caller plus one worker. */
  /** Which build of the kernel the threads run (FMA where the engine has it). */
  readonly flavor: KernelFlavor;

  constructor(threads: number, options: { minFlopsPerThread?: number; flavor?: KernelFlavor; spawn?: SpawnWorker } = {}) {
    this.minFlopsPerThread = options.minFlopsPerThread ?? MIN_FLOPS_PER_THREAD;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new RangeError(`threads must be an integer in 1..64, found ${threads}`);
    }
    this.threads = threads;
    this.flavor = options.flavor ?? defaultFlavor();
    const module = new WebAssembly.Module(kernelBytes(this.flavor, true));
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16384, shared: true });
    this.arena = new WasmArena(memory, module);
    this.arena.executor = this;
    const spawn = options.spawn ?? defaultSpawn;
    if (threads > 1 && !spawn) throw new Error('no worker spawner: use src/runtime/threads/index.ts (Node) or web.ts (browsers)');
    for (let i = 0; i < threads - 1; i++) {
      this.workers.push(spawn!(workerMain, { module, memory, control: this.control.buffer as SharedArrayBuffer }));
    }
  }

  execute(call: KernelCall): void {
    if (this.closed) throw new Error('thread pool is closed');
    const n = Math.min(this.threads, Math.floor(call.flops / Math.max(1, this.minFlopsPerThread)), call.rows);
    if (n <= 1) {
      this.arena.execute(call);
      return;
    }
    const c = this.control;
    const a = call.args;
    if (a.length > MAX_ARGS || !a.every(Number.isInteger)) throw new Error(`a kernel call takes at most ${MAX_ARGS} integer arguments, found ${a.join(', ')}`);
    // 4 chunks per thread: late or slow threads cost at most a small chunk of waiting. A chunk is
    // a whole number of the kernel's row tiles where the rows allow (the LSTM's 4 batch rows).
    const grain = call.grain && call.rows >= call.grain * n ? call.grain : 1;
    const chunkRows = Math.ceil(Math.max(1, Math.ceil(call.rows / (4 * n))) / grain) * grain;
    const chunks = Math.ceil(call.rows / chunkRows);
    Atomics.store(c, NEXT, CLOSED);
    c[KERNEL] = ROW_KERNELS.indexOf(call.kernel ?? 'conv1d');
    c[NARGS] = a.length;
    for (let i = 0; i < a.length; i++) c[ARGS + i] = a[i];
    [c[ARGS + a.length], c[ARGS + a.length + 1]] = kernelFlags(call);
    c[CHUNK_ROWS] = chunkRows;
    c[ROWS] = call.rows;
    Atomics.store(c, CHUNKS, chunks);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, GEN, (Atomics.load(c, GEN) + 1) & 0x3fffffff);
    Atomics.notify(c, GEN);
    let failed = false;
    let mine = 0;
    for (;;) {
      const chunk = Atomics.add(c, NEXT, 1);
      if (chunk >= chunks) break;
      const start = chunk * chunkRows;
      const end = Math.min(call.rows, start + chunkRows);
      try {
        this.arena.runRows(call, start, end);
      } catch {
        failed = true;
      }
      mine++;
      Atomics.add(c, DONE, 1);
    }
    // only chunks a worker has claimed and is computing remain: wait for those
    while (Atomics.load(c, DONE) < chunks) {
      /* spin: a chunk is short */
    }
    Atomics.store(c, NEXT, CLOSED);
    this.lastSplit = { chunks, byCaller: mine };
    if (failed || Atomics.load(c, FAILED)) throw new Error(`the ${call.kernel ?? 'conv1d'} kernel failed on a thread`);
  }

  /** Stops the workers. Prepared Conv1Ds on this pool's arena must not run afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, GEN, -1);
    Atomics.notify(this.control, GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
