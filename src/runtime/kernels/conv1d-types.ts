/**
 * The one signature every Conv1D implementation shares, so any of them (reference, blocked, a
 * future WASM SIMD or worker path) can be swapped in and checked against the reference by the
 * same property tests.
 *
 * Life cycle: `pack` once per weight set (compile time, independent of input length), `prepare`
 * once per input geometry (allocates scratch), then the returned function runs many times and
 * allocates nothing.
 */
import type { Activation, Layout } from '../../ir/ops/index.js';
import type { Workspace } from '../workspace.js';

/** Everything about a convolution that does not depend on the input's batch or length. */
export interface Conv1DParams {
  kernelSize: number;
  stride: number;
  dilation: number;
  groups: number;
  inChannels: number;
  filters: number;
  /** Layout of both the input and the output. */
  layout: Layout;
  /** Fused after the bias (and the residual). Must be elementwise (softmax is applied by the caller). */
  activation: Activation;
  /**
   * The run adds a residual (an array shaped like the output) before the activation: a residual
   * Add fused into this Conv1D (runtime/passes/fuse-residual.ts). Only for implementations with
   * `fusesResidual`, channels last.
   */
  residual?: boolean;
}

/** The per-shape part, resolved by shape inference and src/ir/padding.ts. */
export interface Conv1DGeometry {
  batch: number;
  inLength: number;
  outLength: number;
  /** Zeros before the first input step; the zeros after are implied by outLength. */
  padBefore: number;
}

/** Runs the convolution: input [B, L, Cin] (NWC) or [B, Cin, L] (NCW) → output likewise; `residual` when params.residual. */
export type Conv1DRun = (input: Float32Array, output: Float32Array, residual?: Float32Array) => void;

export interface Conv1DImpl<Packed> {
  name: string;
  /**
   * The WebAssembly memory the implementation computes in, if any. compile() then keeps every
   * value of the plan in it (runtime/workspace.ts), and the kernel reads its input and writes its
   * output where they lie instead of copying them in and out.
   */
  readonly workspace?: Workspace;
  /** Whether prepare takes params.residual (then compile() fuses residual Adds into Conv1Ds). */
  readonly fusesResidual?: boolean;
  /** kernel: canonical [kernelSize, inChannels / groups, filters]; bias: [filters] or null. */
  pack(params: Conv1DParams, kernel: Float32Array, bias: Float32Array | null): Packed;
  prepare(params: Conv1DParams, geometry: Conv1DGeometry, packed: Packed): Conv1DRun;
}
