/**
 * A plan's values in WebAssembly memory.
 *
 * When the plan's Conv1D implementation computes in a WebAssembly memory (the WASM SIMD kernel,
 * on the calling thread or on worker threads), compile() gives every value of the plan a region
 * of that memory, so the buffers the steps pass each other are Float32Array views into it. The
 * WASM kernels see that their input and output already lie in their memory (same buffer) and
 * compute in place: between layers nothing is copied, and only the model's inputs (copied in at
 * the start of a run) and outputs (copied out at the end) cross the boundary. JS kernels work on
 * the views like on any Float32Array.
 *
 * A WebAssembly memory replaces its ArrayBuffer when it grows (another plan compiled, a kernel's
 * lazy allocation), which detaches every view: PlanBuffers re-takes the views whenever the
 * buffer has changed, which run() checks before every step (one comparison).
 */
export interface Workspace {
  readonly memory: WebAssembly.Memory;
  /** Byte address of a new region (64-byte aligned), zero-filled unless `zero` is false. */
  alloc(bytes: number, zero?: boolean): number;
  release(at: number, bytes: number): void;
}

let compiling: Workspace | null = null;

/**
 * The workspace of the plan being compiled (null outside compile(), or for a plan on the JS
 * heap): kernels that can compute in it prepare for it while the plan compiles (and hand what
 * they take to the plan with resources.own()).
 */
export function planWorkspace(): Workspace | null {
  return compiling;
}

/** Runs `fn` (the compilation of a plan's steps) with `ws` as the plan's workspace. */
export function withWorkspace<T>(ws: Workspace | null, fn: () => T): T {
  const outer = compiling;
  compiling = ws;
  try {
    return fn();
  } finally {
    compiling = outer;
  }
}

/** Whether `a` is a view into `ws`'s memory (so a kernel on that memory can use it in place). */
export function inWorkspace(ws: Workspace, a: Float32Array): boolean {
  return a.buffer === ws.memory.buffer;
}

/** Float32Array views of regions of a workspace, kept valid across memory growth. */
export class PlanBuffers {
  private buffer: ArrayBufferLike;
  readonly views: Float32Array[];

  constructor(
    private readonly ws: Workspace,
    private readonly regions: readonly { at: number; length: number }[],
  ) {
    this.buffer = ws.memory.buffer;
    this.views = regions.map((r) => new Float32Array(this.buffer, r.at, r.length));
  }

  /** Re-takes the views if the memory grew since they were taken. */
  refresh(): void {
    if (this.ws.memory.buffer === this.buffer) return;
    this.buffer = this.ws.memory.buffer;
    this.regions.forEach((r, i) => (this.views[i] = new Float32Array(this.buffer, r.at, r.length)));
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.regions) this.ws.release(r.at, r.length * 4);
  }
}
