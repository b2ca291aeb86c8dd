/**
 * One Conv1D problem with every size resolved, as the fast kernel paths (tuned typed-array,
 * WASM SIMD, worker threads) take it. Channels last (NWC); a channels-first graph is transposed
 * around the kernel by the runtime.
 *
 *   x      [batch, inLength, inChannels]
 *   kernel [kernelSize, inChannels / groups, filters]   (the IR's canonical layout)
 *   bias   [filters] or null
 *   y      [batch, outLength, filters]
 *
 * y[b, t, g*Fg + f] = bias[..] + Σ_{j, c} x[b, t*stride + j*dilation - padBefore, g*Cg + c]
 *                                        * kernel[j, c, g*Fg + f]
 * with x = 0 outside [0, inLength). padBefore/outLength come from src/ir/padding.ts.
 */
export interface Conv1DSpec {
  batch: number;
  inLength: number;
  inChannels: number;
  filters: number;
  kernelSize: number;
  stride: number;
  dilation: number;
  groups: number;
  padBefore: number;
  outLength: number;
  /** Apply max(y, 0) in the kernel (the only activation worth fusing; others run after). */
  relu?: boolean;
  /**
   * y += residual (an array shaped like y, given to run) before relu: a residual Add fused into
   * the Conv1D that produces one of its inputs (runtime/passes/fuse-residual.ts). Only the WASM
   * path (wasm/engine.ts) takes it.
   */
  residual?: boolean;
}

/** A Conv1D whose weights are packed once (at plan compile time) and that runs many times. */
export interface PreparedConv1D {
  readonly spec: Conv1DSpec;
  /** Which path runs it, for reports: 'typed-array', 'wasm-simd', 'wasm-simd-threads'. */
  readonly path: string;
  /** Writes y (length batch*outLength*filters) from x (length batch*inLength*inChannels), plus `residual` (y's length) when spec.residual. */
  run(x: Float32Array, y: Float32Array, residual?: Float32Array): void;
  /** Releases the buffers it holds (WASM memory regions). */
  dispose(): void;
}

/** Floating-point operations of one run (a multiply-add counts as 2), for GFLOP/s. */
export function conv1dFlops(s: Conv1DSpec): number {
  return 2 * s.batch * s.outLength * s.filters * s.kernelSize * (s.inChannels / s.groups);
}

/** Input steps the last window reaches past the end of x (the only trailing padding that matters). */
export function neededPadAfter(s: Conv1DSpec): number {
  const lastTap = (s.outLength - 1) * s.stride + (s.kernelSize - 1) * s.dilation;
  return Math.max(0, lastTap + 1 - s.padBefore - s.inLength);
}

export function checkConv1DSpec(s: Conv1DSpec): void {
  const ints: (keyof Conv1DSpec)[] = ['batch', 'inLength', 'inChannels', 'filters', 'kernelSize', 'stride', 'dilation', 'groups', 'padBefore', 'outLength'];
  for (const k of ints) {
    const v = s[k] as number;
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`Conv1DSpec.${k} must be a non-negative integer, found ${v}`);
  }
  if (s.stride < 1 || s.dilation < 1 || s.kernelSize < 1 || s.groups < 1) throw new RangeError('stride, dilation, kernelSize and groups must be ≥ 1');
  if (s.inChannels % s.groups || s.filters % s.groups) {
    throw new RangeError(`inChannels (${s.inChannels}) and filters (${s.filters}) must be multiples of groups (${s.groups})`);
  }
}
