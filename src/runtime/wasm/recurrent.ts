/**
 * The LSTM recurrence on the WebAssembly SIMD kernel (./assembly/recurrent.ts): the input
 * projections of all steps by the WASM Conv1D kernel as a k=1 product written straight into the
 * arena, then every step (h·U for all batch rows and the fused gate math) inside one kernel call,
 * with h, c and the outputs in linear memory. On a thread pool's arena both are split: the
 * projection by rows like any Conv1D, the recurrence by batch rows (each row's steps depend only
 * on that row, so the threads never meet between steps). Per run only the input, the mask and the initial
 * states are copied in (the input not at all inside a plan, where it already lies in the arena),
 * and only the outputs that are not arena views are copied out.
 *
 * Returns null for what the kernel does not cover (GRU, SimpleRNN, activations other than
 * linear/tanh/sigmoid/hard_sigmoid): src/runtime/kernels/recurrent.ts then runs its JS loop, which
 * stays the reference and the fallback.
 */
import { GATES } from '../../ir/ops/recurrent.js';
import type { RecurrentAttrs } from '../../ir/ops/recurrent.js';
import type { Activation } from '../../ir/ops/index.js';
import type { RecurrentRun, RecurrentWeights } from '../kernels/recurrent.js';
import { own } from '../resources.js';
import { prepareConv1dWasm, type WasmArena } from './engine.js';

/** The bits of a float32 value as an int32 (the thread pool passes integer arguments only). */
function float32Bits(v: number): number {
  return new Int32Array(new Float32Array([v]).buffer)[0];
}

/** Activation codes of the kernel; null = not in the kernel (the JS loop runs). */
function code(act: Activation): [number, number] | null {
  if (act.fn === 'linear') return [0, 0];
  if (act.fn === 'tanh') return [1, 0];
  if (act.fn === 'sigmoid') return [2, 0];
  if (act.fn === 'hard_sigmoid') return [3, act.alpha ?? 0.2]; // the default of activations.ts
  return null;
}

export function prepareLstmWasm(
  a: RecurrentAttrs,
  w: RecurrentWeights,
  batch: number,
  steps: number,
  arena: WasmArena,
): (((run: RecurrentRun, output: Float32Array, states: Float32Array[]) => void) & { dispose(): void }) | null {
  const act = code(a.activation);
  const rec = code(a.recurrentActivation);
  if (a.cell !== 'lstm' || !act || !rec || !arena.exports.lstmRows || batch < 1 || steps < 1) return null;
  const u = a.units;
  const n = a.inFeatures;
  const gu = GATES.lstm * u;
  const padded = Math.ceil(gu / 8) * 8;
  const rows = batch * steps;
  const project = own(
    prepareConv1dWasm(
      { batch: 1, inLength: rows, inChannels: n, filters: gu, kernelSize: 1, stride: 1, dilation: 1, groups: 1, padBefore: 0, outLength: rows },
      w.kernel,
      w.bias ? w.bias.subarray(0, gu) : null,
      { arena, path: 'wasm-lstm-projection' },
    ),
  );
  const regions: { at: number; bytes: number }[] = [];
  const region = (floats: number) => {
    const at = arena.alloc(floats * 4);
    regions.push({ at, bytes: floats * 4 });
    return at;
  };
  const projAt = region(rows * gu);
  const uAt = region(u * padded);
  const hAt = region(batch * u);
  const cAt = region(batch * u);
  const prevAt = region(batch * u);
  const huAt = region(batch * padded);
  // always: a Bidirectional passes its mask to directions whose own attrs say hasMask false
  const maskAt = region(rows);
  // An output that is not an arena view (a direct call; a Bidirectional's per-direction buffers) is
  // written here and copied out. Taken now even if every run turns out in place: taking it during a
  // run could grow the memory and detach the views a plan's run holds.
  const outAt = a.returnSequences ? region(rows * u) : 0;
  // U in panels of 8 columns (the kernel's layout), zero past the last gate column
  const up = arena.f32(uAt, u * padded);
  for (let p = 0; p < padded / 8; p++) {
    for (let k = 0; k < u; k++) {
      for (let j = 0; j < 8; j++) {
        const col = p * 8 + j;
        up[(p * u + k) * 8 + j] = col < gu ? w.recurrentKernel[k * gu + col] : 0;
      }
    }
  }
  // The projection packs its weights and takes its input region on its first run: run it now, on
  // zeros, so no run of a plan grows the memory (as matmulFromConv1d does).
  project.run(new Float32Array(rows * n), arena.f32(projAt, rows * gu));
  // Inside a plan, plan.dispose() frees all of it; a direct caller (the bench) calls dispose().
  const dispose = () => {
    project.dispose();
    regions.splice(0).forEach((r) => arena.release(r.at, r.bytes));
  };
  own({ dispose });

  const sequence = (run: RecurrentRun, output: Float32Array, states: Float32Array[]) => {
    const f32 = (at: number, len: number) => new Float32Array(arena.memory.buffer, at, len);
    project.run(run.x, f32(projAt, rows * gu));
    const h = f32(hAt, batch * u);
    const c = f32(cAt, batch * u);
    h.fill(0);
    c.fill(0);
    f32(prevAt, batch * u).fill(0);
    if (run.initial) {
      h.set(run.initial[0].subarray(0, batch * u));
      c.set(run.initial[1].subarray(0, batch * u));
    }
    let maskPtr = 0;
    if (run.mask) {
      const m = f32(maskAt, rows);
      for (let i = 0; i < rows; i++) m[i] = run.mask[i] !== 0 ? 1 : 0;
      maskPtr = maskAt;
    }
    const inPlace = a.returnSequences && output.buffer === arena.memory.buffer;
    const outPtr = !a.returnSequences ? 0 : inPlace ? output.byteOffset : outAt;
    // Every batch row runs its whole recurrence on its own, so a thread pool's threads each take
    // rows (in fours: the tile of h·U) and never wait on one another between steps.
    arena.executor.execute({
      kernel: 'lstmRows',
      args: [projAt, uAt, hAt, cAt, prevAt, huAt, outPtr, maskPtr, batch, steps, u, padded, a.goBackwards ? 1 : 0, a.zeroOutputForMask ? 1 : 0, act[0], float32Bits(act[1]), rec[0], float32Bits(rec[1])],
      rows: batch,
      relu: 0,
      flops: 2 * batch * steps * u * gu,
      grain: 4,
    });
    if (!a.returnSequences) output.set(f32(prevAt, batch * u));
    else if (!inPlace) output.set(f32(outAt, rows * u));
    states[0].set(f32(hAt, batch * u));
    states[1].set(f32(cAt, batch * u));
  };
  return Object.assign(sequence, { dispose });
}
