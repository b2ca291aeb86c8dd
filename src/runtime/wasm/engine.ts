/**
 * The WebAssembly SIMD Conv1D path: packs weights into the kernel's panel layout inside a WASM
 * linear memory, copies each input in (unpadded: the kernel handles padding by bounds), runs the
 * kernel, copies out.
 *
 * Two builds of the kernel exist: plain SIMD, and relaxed SIMD with fused multiply-adds. The
 * relaxed one is used wherever the engine validates it (Chromium, Node ≥ 22, Node 20 with
 * --experimental-wasm-relaxed-simd); the choice is made once, when the module is first compiled.
 *
 * Isomorphic: no Node imports. The bytes come from kernels-wasm.generated.ts (built from
 * ./assembly/ by scripts/build-wasm.mjs; the module also holds the elementwise kernels of
 * ./elementwise.ts). Worker threads reuse this module with a
 * shared memory (src/runtime/threads/), which is why the row-range execution is pluggable.
 */
import { checkConv1DSpec, type Conv1DSpec, type PreparedConv1D } from '../conv1d-spec.js';
import { KERNELS_WASM_PLAIN, KERNELS_WASM_PLAIN_RELAXED, KERNELS_WASM_SHARED, KERNELS_WASM_SHARED_RELAXED } from './kernels-wasm.generated.js';
import { KconvError } from '../../errors.js';

const PAGE = 65536;
/** A 32-bit WebAssembly memory holds at most 65536 pages (4 GiB). */
const MAX_WASM_BYTES = 65536 * PAGE;

/** Decodes the generated module's base64 into bytes WebAssembly.Module accepts. */
export function wasmBytes(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') {
    const s = atob(b64);
    const out = new Uint8Array(new ArrayBuffer(s.length));
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  throw new Error('no base64 decoder (atob) in this environment');
}

/** The kernel's export, argument for argument (see assembly/conv1d.ts). */
export type Conv1DExport = (
  x: number, wpack: number, bias: number, y: number,
  inLength: number, padBefore: number, inChannels: number, outLength: number,
  kernelSize: number, inPerGroup: number, stride: number, dilation: number,
  groups: number, blocksPerGroup: number, block: number, chunk: number,
  rowStart: number, rowEnd: number, flags: number, rd: number,
) => void;

/** How many problem arguments come before the row range (x .. chunk). */
export const KERNEL_ARGS = 16;

/**
 * The exports that run a range of rows: each takes its problem arguments, then rowStart, rowEnd
 * (and conv1d its flags and residual distance, kernelFlags). The thread pool numbers them by
 * their index here.
 */
export const ROW_KERNELS = ['conv1d', 'lstmRows', 'gruRows', 'simpleRows'] as const;
export type RowKernel = (typeof ROW_KERNELS)[number];

/** The problem arguments before the row range, then relu: what a thread needs to run rows. */
export interface KernelCall {
  /** Which export runs (conv1d when absent). */
  kernel?: RowKernel;
  args: number[]; // the problem arguments (conv1d: x .. chunk, KERNEL_ARGS numbers); integers
  rows: number; // conv1d: batch * outLength; lstmRows, gruRows, simpleRows: batch rows
  relu: number;
  /** conv1d: byte address of a residual to add before relu (same layout as y), or 0 / absent for none. */
  residual?: number;
  flops: number;
  /** A thread's share of rows is a multiple of this (the kernel's row tile), when rows allow. */
  grain?: number;
}

/** The kernel's last two arguments for a call: flags (1 relu, 2 residual) and the residual's byte distance from y. */
export function kernelFlags(call: KernelCall): [flags: number, rd: number] {
  if (!call.residual) return [call.relu, 0];
  return [call.relu | 2, (call.residual - call.args[3]) | 0];
}

/** Runs a kernel call over all its rows: directly, or split across threads. */
export interface RowExecutor {
  execute(call: KernelCall): void;
}

/**
 * A WASM memory with a kernel instance and a simple region allocator. Regions are freed
 * individually (first-fit free list) so that plans compiled and dropped over time do not leak.
 */
export class WasmArena implements RowExecutor {
  readonly memory: WebAssembly.Memory;
  readonly kernel: Conv1DExport;
  /** Every export of the kernel module's instance on this memory (the elementwise kernels too). */
  readonly exports: WebAssembly.Exports;
  /**
   * Who runs this arena's kernel calls: the arena itself (one thread), or the thread pool whose
   * shared memory it is (the pool sets itself here), so that kernels prepared on the arena without
   * an explicit executor use the pool's threads too.
   */
  executor: RowExecutor = this;
  private top = 64; // keep address 0 unused: a zero pointer is then always a bug
  private free: { at: number; size: number }[] = [];

  constructor(memory: WebAssembly.Memory, module: WebAssembly.Module) {
    this.memory = memory;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.exports = instance.exports;
    this.kernel = instance.exports.conv1d as Conv1DExport;
    liveArenas.push(new WeakRef(this));
  }

  /**
   * Byte address of `bytes` new bytes, 64-byte aligned (a cache line), zero-filled unless `zero`
   * is false (for regions the caller fills completely before anything reads them).
   */
  alloc(bytes: number, zero = true): number {
    // Sizes come from model files: refuse what a 32-bit WASM memory cannot hold, before growing.
    if (!Number.isFinite(bytes) || bytes < 0 || this.top + bytes > MAX_WASM_BYTES) {
      throw new KconvError('LIMIT_EXCEEDED', `a working buffer of ${bytes} bytes does not fit in WebAssembly memory (${this.top} bytes in use, at most ${MAX_WASM_BYTES})`);
    }
    const size = Math.ceil(Math.max(bytes, 1) / 64) * 64;
    const i = this.free.findIndex((r) => r.size >= size);
    if (i >= 0) {
      const r = this.free[i];
      const at = r.at;
      if (r.size === size) this.free.splice(i, 1);
      else this.free[i] = { at: r.at + size, size: r.size - size };
      if (zero) new Uint8Array(this.memory.buffer, at, size).fill(0); // a reused region holds old data
      return at;
    }
    // Above `top` nothing was ever handed out, and memory.grow gives zeroed pages: no fill.
    const at = this.top;
    this.top += size;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      // Grow by at least half of what is there: a model's weights arrive as many regions, and
      // growing page by page for each made loading a 10 MB model spend most of its time in grow.
      const needed = Math.ceil((this.top - have) / PAGE);
      const room = MAX_WASM_BYTES / PAGE - have / PAGE;
      const pages = Math.min(Math.max(needed, Math.ceil(have / PAGE / 2)), room);
      try {
        this.memory.grow(pages);
      } catch {
        try {
          this.memory.grow(needed); // the geometric step may not fit where the exact one does
        } catch (e) {
          this.top = at; // nothing was taken
          // Plans and models nobody disposed keep their regions until the garbage collector
          // finds them, and it does not know how full this memory is: say what frees it now.
          throw new KconvError(
            'LIMIT_EXCEEDED',
            `WebAssembly memory could not grow to ${at + size} bytes (${this.bytesInUse()} bytes held by compiled plans): ${(e as Error).message}; ` +
              'call dispose() on models and plans that are no longer used (undisposed ones free their memory only when garbage-collected)',
          );
        }
      }
    }
    return at;
  }

  release(at: number, bytes: number): void {
    const size = Math.ceil(Math.max(bytes, 1) / 64) * 64;
    this.free.push({ at, size });
  }

  /** Bytes handed out and not released (for tests and memory reports). */
  bytesInUse(): number {
    return this.top - 64 - this.free.reduce((sum, r) => sum + r.size, 0);
  }

  /** A Float32Array view of a region; re-take it after any alloc (growth replaces the buffer). */
  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }

  execute(call: KernelCall): void {
    this.runRows(call, 0, call.rows);
  }

  /** Runs output rows [start, end) of a call on this thread's kernel instance. */
  runRows(call: KernelCall, start: number, end: number): void {
    const a = call.args;
    if ((call.kernel ?? 'conv1d') === 'conv1d') {
      const [flags, rd] = kernelFlags(call);
      this.kernel(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], start, end, flags, rd);
    } else {
      (this.exports[call.kernel!] as (...args: number[]) => void)(...a, start, end);
    }
  }
}

/** Which build of the kernel runs: 'fma' (relaxed SIMD) or 'simd' (plain SIMD). */
export type KernelFlavor = 'fma' | 'simd';

const liveArenas: WeakRef<WasmArena>[] = [];

/**
 * The arena whose memory holds all of `arrays` (views of it), or null. Kernels that get plain
 * Float32Arrays use it to tell whether they can run in WebAssembly on them in place.
 */
export function arenaOf(...arrays: Float32Array[]): WasmArena | null {
  const buffer = arrays[0].buffer;
  for (let i = 1; i < arrays.length; i++) if (arrays[i].buffer !== buffer) return null;
  for (let i = 0; i < liveArenas.length; i++) {
    const arena = liveArenas[i].deref();
    if (!arena) {
      liveArenas.splice(i--, 1);
      continue;
    }
    if (arena.memory.buffer === buffer) return arena;
  }
  return null;
}

let fma: boolean | undefined;

/** True when this engine accepts the relaxed-SIMD (fused multiply-add) build of the kernel. */
export function wasmFmaSupported(): boolean {
  fma ??= typeof WebAssembly === 'object' && WebAssembly.validate(wasmBytes(KERNELS_WASM_PLAIN_RELAXED));
  return fma;
}

/** The flavor compile() gets by default: FMA where the engine has it. */
export function defaultFlavor(): KernelFlavor {
  return wasmFmaSupported() ? 'fma' : 'simd';
}

/** The kernel bytes of a flavor, for a plain or a shared memory. */
export function kernelBytes(flavor: KernelFlavor, shared: boolean): Uint8Array<ArrayBuffer> {
  if (flavor === 'fma') return wasmBytes(shared ? KERNELS_WASM_SHARED_RELAXED : KERNELS_WASM_PLAIN_RELAXED);
  return wasmBytes(shared ? KERNELS_WASM_SHARED : KERNELS_WASM_PLAIN);
}

const plainModules = new Map<KernelFlavor, WebAssembly.Module | null>();

/**
 * The compiled plain (non-shared) kernel module of `flavor` (default: FMA when the engine has
 * it), or null when this engine lacks WASM SIMD (or relaxed SIMD, for 'fma').
 */
export function plainModule(flavor: KernelFlavor = defaultFlavor()): WebAssembly.Module | null {
  if (!plainModules.has(flavor)) {
    let module: WebAssembly.Module | null = null;
    try {
      if (typeof WebAssembly === 'object') module = new WebAssembly.Module(kernelBytes(flavor, false));
    } catch {
      module = null; // no SIMD (validation fails on v128): callers fall back to typed arrays
    }
    plainModules.set(flavor, module);
  }
  return plainModules.get(flavor)!;
}

export function wasmSimdSupported(): boolean {
  return plainModule('simd') !== null;
}

const defaultArenas = new Map<KernelFlavor, WasmArena>();

/** The process-wide single-threaded arena of a flavor (created on first use). */
export function sharedPlainArena(flavor: KernelFlavor = defaultFlavor()): WasmArena {
  let arena = defaultArenas.get(flavor);
  if (!arena) {
    const module = plainModule(flavor);
    if (!module) throw new Error(`WebAssembly ${flavor === 'fma' ? 'relaxed SIMD' : 'SIMD'} is not available in this engine`);
    arena = new WasmArena(new WebAssembly.Memory({ initial: 16 }), module);
    defaultArenas.set(flavor, arena);
  }
  return arena;
}

export interface WasmTiling {
  /** Output channels per packed weight panel: 4, 8 or 16. */
  block: 4 | 8 | 16;
  /** Output steps computed against one panel before the next panel. */
  chunk: number;
}

/**
 * Picks the panel width and chunk length for a problem. Wide panels amortize the broadcast of
 * each input value over more output channels; groups with few filters need narrow panels (the
 * padding of a group's filters to a whole panel is wasted work).
 */
export function chooseTiling(s: Conv1DSpec): WasmTiling {
  const perGroup = s.filters / s.groups;
  let block: 4 | 8 | 16;
  if (perGroup <= 4) block = 4;
  else if (perGroup % 16 === 0 && perGroup >= 32) block = 16;
  else if (perGroup % 8 === 0 || perGroup > 12) block = 8;
  else block = perGroup <= 8 ? 8 : 16;
  // Keep the chunk's input window (≈ chunk * stride * inChannels floats) within ~48 KiB (L1/L2).
  const rowBytes = Math.max(1, s.stride * s.inChannels * 4);
  const chunk = Math.max(6, Math.min(s.outLength, Math.floor((48 * 1024) / rowBytes)));
  return { block, chunk: Math.ceil(chunk / 48) * 48 };
}

/**
 * Packs the canonical kernel [k, Cg, filters] into [group][block][k][Cg][blockWidth] panels.
 * Writes every element of `out` (the lanes past a group's last filter as zeros), so `out` need
 * not be zeroed beforehand.
 */
export function packWeights(s: Conv1DSpec, kernel: Float32Array, block: number, out: Float32Array): void {
  const cg = s.inChannels / s.groups;
  const fg = s.filters / s.groups;
  const bpg = Math.ceil(fg / block);
  const F = s.filters;
  let o = 0;
  for (let g = 0; g < s.groups; g++) {
    for (let blk = 0; blk < bpg; blk++) {
      const first = g * fg + blk * block;
      const lanes = Math.min(block, fg - blk * block);
      for (let row = 0; row < s.kernelSize * cg; row++) {
        // kernel row (j, c) holds every filter: this panel's lanes are `lanes` consecutive ones
        const src = row * F + first;
        for (let lane = 0; lane < lanes; lane++) out[o + lane] = kernel[src + lane];
        for (let lane = lanes; lane < block; lane++) out[o + lane] = 0;
        o += block;
      }
    }
  }
}

/**
 * The residual added outside the kernel (y or the residual is not in the kernel's memory): y =
 * relu?(src + residual), from the kernel's own output region `src` (null: the kernel wrote y in
 * place), dropping the lanes that pad each group's filters. Same float32 rounding as the kernel's
 * store: one addition, then max(·, 0).
 */
function addResidual(y: Float32Array, residual: Float32Array, relu: boolean, src: Float32Array | null, outStride: number, s: Conv1DSpec): void {
  const fg = s.filters / s.groups;
  const groupStride = outStride / s.groups; // a group's filters, padded to whole panels
  let o = 0;
  for (let r = 0; r < s.batch * s.outLength; r++) {
    for (let g = 0; g < s.groups; g++) {
      const base = r * outStride + g * groupStride;
      for (let f = 0; f < fg; f++, o++) {
        const v = Math.fround((src ? src[base + f] : y[o]) + residual[o]);
        y[o] = relu && v <= 0 ? 0 : v; // NaN stays NaN, -0 becomes 0, as f32x4.max(v, 0)
      }
    }
  }
}

/**
 * Prepares a Conv1D on the WASM SIMD kernel: reserves its regions of `arena`'s memory (packed
 * weights, bias, input, output). The weights are packed into their region on the first run, not
 * here: a plan is ready as soon as it is compiled (a 10 MB model's packing took most of
 * load + compile), and a layer that never runs never pays for packing.
 */
export function prepareConv1dWasm(
  spec: Conv1DSpec,
  kernel: Float32Array,
  bias: Float32Array | null,
  options: { arena?: WasmArena; flavor?: KernelFlavor; executor?: RowExecutor; tiling?: WasmTiling; path?: string } = {},
): PreparedConv1D {
  checkConv1DSpec(spec);
  const s = { ...spec };
  const arena = options.arena ?? sharedPlainArena(options.flavor);
  const executor = options.executor ?? arena.executor;
  const { block, chunk } = options.tiling ?? chooseTiling(s);
  const cg = s.inChannels / s.groups;
  const fg = s.filters / s.groups;
  const bpg = Math.ceil(fg / block);
  const outStride = s.groups * bpg * block;
  if (kernel.length !== s.kernelSize * cg * s.filters) {
    throw new RangeError(`kernel needs ${s.kernelSize * cg * s.filters} values [${s.kernelSize}, ${cg}, ${s.filters}], found ${kernel.length}`);
  }
  if (bias && bias.length !== s.filters) throw new RangeError(`bias needs ${s.filters} values, found ${bias.length}`);

  const wLen = s.groups * bpg * s.kernelSize * cg * block;
  const xLen = s.batch * s.inLength * s.inChannels;
  const yLen = s.batch * s.outLength * outStride;
  // Only the bias region relies on zeros (its padding lanes, or all of it without a bias): the
  // packing writes every weight, each run writes all of x, and the kernel all of y.
  const regions = [
    { at: arena.alloc(wLen * 4, false), bytes: wLen * 4 },
    { at: arena.alloc(outStride * 4), bytes: outStride * 4 },
  ];
  const [wAt, bAt] = regions.map((r) => r.at);
  if (bias) {
    const b = arena.f32(bAt, outStride);
    for (let g = 0; g < s.groups; g++) for (let f = 0; f < fg; f++) b[g * bpg * block + f] = bias[g * fg + f];
  }
  // Input and output regions of its own only for arrays outside the arena, taken on first need: a
  // plan keeps its values in the arena (runtime/workspace.ts), and there the kernel reads x and
  // writes y in place. Taking a region may grow the memory, which detaches every view of it; the
  // run below takes the addresses of in-arena x and y before allocating, and writes only JS
  // arrays afterwards. The exception, an in-arena y the kernel cannot write in place (its panels
  // pad each group's filters), gets both regions now.
  let xAt = 0;
  let yAt = 0;
  const ownRegion = (bytes: number) => {
    const at = arena.alloc(bytes, false);
    regions.push({ at, bytes });
    return at;
  };
  let packed = false;
  const padded = outStride !== s.filters;
  if (padded) {
    xAt = ownRegion(xLen * 4);
    yAt = ownRegion(yLen * 4);
  }
  const call: KernelCall = {
    args: [0, wAt, bAt, 0, s.inLength, s.padBefore, s.inChannels, s.outLength, s.kernelSize, cg, s.stride, s.dilation, s.groups, bpg, block, chunk],
    rows: s.batch * s.outLength,
    relu: s.relu ? 1 : 0,
    residual: 0,
    flops: 2 * s.batch * s.outLength * s.filters * s.kernelSize * cg,
  };
  const inRow = s.inLength * s.inChannels;
  const outCount = s.batch * s.outLength * s.filters;
  let disposed = false;

  return {
    spec: s,
    path: options.path ?? 'wasm-simd',
    run(x: Float32Array, y: Float32Array, residual?: Float32Array): void {
      if (disposed) throw new Error('this Conv1D was disposed');
      if (x.length !== s.batch * inRow) throw new RangeError(`x needs ${s.batch * inRow} values, found ${x.length}`);
      if (y.length !== outCount) throw new RangeError(`y needs ${outCount} values, found ${y.length}`);
      if (s.residual && residual?.length !== outCount) throw new RangeError(`the residual needs ${outCount} values, found ${residual?.length}`);
      if (!packed) {
        packWeights(s, kernel, block, arena.f32(wAt, wLen));
        packed = true;
      }
      const xInPlace = x.buffer === arena.memory.buffer;
      const yInPlace = !padded && y.buffer === arena.memory.buffer;
      // The addresses of in-arena views first: taking the input region may grow the memory, which
      // detaches the views, and a detached view's byteOffset reads 0 (the output then went to
      // address 0, over the oldest regions).
      const yOffset = yInPlace ? y.byteOffset : 0;
      // The residual is added in the kernel's store when y is written in place and the residual
      // lies in the same memory (a plan's values); anywhere else after the kernel, below.
      const fused = s.residual === true && yInPlace && residual!.buffer === arena.memory.buffer;
      call.residual = fused ? residual!.byteOffset : 0;
      call.args[0] = xInPlace ? x.byteOffset : (xAt ||= ownRegion(xLen * 4));
      call.args[3] = yInPlace ? yOffset : (yAt ||= ownRegion(yLen * 4));
      if (!xInPlace) new Float32Array(arena.memory.buffer, xAt, xLen).set(x);
      call.relu = s.relu && (fused || !s.residual) ? 1 : 0;
      executor.execute(call);
      if (s.residual && !fused) addResidual(y, residual!, s.relu === true, yInPlace ? null : new Float32Array(arena.memory.buffer, yAt, yLen), outStride, s);
      if (yInPlace || s.residual) return;
      const ys = new Float32Array(arena.memory.buffer, yAt, yLen);
      if (outStride === s.filters) {
        y.set(ys);
      } else {
        // drop the lanes that pad each group's filters up to whole panels
        let o = 0;
        for (let r = 0; r < s.batch * s.outLength; r++) {
          for (let g = 0; g < s.groups; g++) {
            const base = r * outStride + g * bpg * block;
            for (let f = 0; f < fg; f++) y[o++] = ys[base + f];
          }
        }
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const r of regions) arena.release(r.at, r.bytes);
    },
  };
}
