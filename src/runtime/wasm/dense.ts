/**
 * Dense on the WASM SIMD Conv1D kernel: a Dense over `rows` rows is a 1-tap convolution over a
 * length-`rows` sequence (kernel [inFeatures, units] is the canonical Conv1D kernel
 * [1, inFeatures, units]), so it gets the same register-blocked kernel, FMA where the engine has
 * it, and threads' packing.
 *
 * Only inside a plan whose values lie in a kernel arena (runtime/workspace.ts): the weights are
 * laid out in that arena while the plan compiles (owned by the plan, freed by plan.dispose()),
 * and a run computes in place when the input and output are views of it. Anything else (arrays
 * on the JS heap) returns false and the JS loop runs.
 */
import { own } from '../resources.js';
import { planWorkspace } from '../workspace.js';
import { prepareConv1dWasm, WasmArena } from './engine.js';

export function prepareDenseWasm(rows: number, inFeatures: number, units: number, kernel: Float32Array, bias: Float32Array | null): ((input: Float32Array, output: Float32Array) => boolean) | null {
  const arena = planWorkspace();
  if (!(arena instanceof WasmArena) || rows < 1) return null;
  const conv = own(
    prepareConv1dWasm(
      { batch: 1, inLength: rows, inChannels: inFeatures, filters: units, kernelSize: 1, stride: 1, dilation: 1, groups: 1, padBefore: 0, outLength: rows },
      kernel,
      bias,
      { arena, path: 'wasm-dense' },
    ),
  );
  return (input, output) => {
    if (input.buffer !== arena.memory.buffer || output.buffer !== arena.memory.buffer) return false;
    conv.run(input, output);
    return true;
  };
}
