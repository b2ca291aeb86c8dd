/**
 * Adapts a fast Conv1D path (anything that prepares a channels-last Conv1DSpec into a
 * PreparedConv1D: typed-array, WASM SIMD, worker threads) to the runtime's Conv1DImpl signature:
 * channels-first layouts are transposed around it, relu is fused in the kernel, every other
 * elementwise activation runs right after it, and the path's buffers are released when the
 * runtime drops the prepared function.
 */
import { applyElementwise, isPlainRelu } from './activations.js';
import type { Conv1DSpec, PreparedConv1D } from './conv1d-spec.js';
import type { Conv1DGeometry, Conv1DImpl, Conv1DParams, Conv1DRun } from './kernels/conv1d-types.js';
import type { Activation } from '../ir/ops/index.js';
import { own } from './resources.js';
import type { Workspace } from './workspace.js';

export interface SpecPacked {
  kernel: Float32Array;
  bias: Float32Array | null;
}

export type PrepareFn = (spec: Conv1DSpec, kernel: Float32Array, bias: Float32Array | null) => PreparedConv1D;

// Releases a path's buffers (WASM memory regions) once the runtime no longer holds its run().
const releaser = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<PreparedConv1D>((p) => p.dispose()) : null;

/** NCW [B, C, L] ↔ NWC [B, L, C] */
function transpose(src: Float32Array, dst: Float32Array, batch: number, rows: number, cols: number): void {
  for (let b = 0; b < batch; b++) {
    const o = b * rows * cols;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[o + c * rows + r] = src[o + r * cols + c];
  }
}

/**
 * `workspace`: the WebAssembly memory the path computes in (WASM paths), so compile() can place
 * the plan's values there (see workspace.ts); asked for only when a plan is compiled. The paths
 * with a workspace are the WASM kernel's (wasm/engine.ts), which add a residual in their store
 * (Conv1DSpec.residual): those fuse residual Adds.
 */
export function implFromPrepare(name: string, prepareSpec: PrepareFn, workspace?: () => Workspace): Conv1DImpl<SpecPacked> {
  return {
    name,
    get workspace() {
      return workspace?.();
    },
    fusesResidual: workspace !== undefined,
    pack: (_params, kernel, bias) => ({ kernel, bias }),
    prepare(p: Conv1DParams, g: Conv1DGeometry, packed: SpecPacked): Conv1DRun {
      const relu = isPlainRelu(p.activation);
      if (p.residual && (p.layout !== 'NWC' || !workspace)) throw new Error(`${name}: a residual is only fused channels last, on a WASM path`);
      const spec: Conv1DSpec = {
        batch: g.batch, inLength: g.inLength, inChannels: p.inChannels, filters: p.filters, kernelSize: p.kernelSize,
        stride: p.stride, dilation: p.dilation, groups: p.groups, padBefore: g.padBefore, outLength: g.outLength, relu,
        ...(p.residual ? { residual: true } : {}),
      };
      const prepared = prepareSpec(spec, packed.kernel, packed.bias);
      const after = relu || p.activation.fn === 'linear' ? null : p.activation;
      let run: Conv1DRun;
      if (p.layout === 'NWC') {
        run = (input, output, residual) => {
          prepared.run(input, output, residual);
          if (after) applyElementwise(after, output);
        };
      } else {
        const xs = new Float32Array(g.batch * g.inLength * p.inChannels);
        const ys = new Float32Array(g.batch * g.outLength * p.filters);
        run = (input, output) => {
          transpose(input, xs, g.batch, p.inChannels, g.inLength);
          prepared.run(xs, ys);
          transpose(ys, output, g.batch, g.outLength, p.filters);
          if (after) applyElementwise(after, output);
        };
      }
      // The plan being compiled frees it on dispose(); the GC frees it otherwise.
      own(prepared);
      releaser?.register(run, prepared);
      return run;
    },
  };
}
