/**
 * The LSTM, GRU and SimpleRNN recurrences on the WebAssembly SIMD kernels (./assembly/recurrent.ts): the input
 * projections of all steps by the WASM Conv1D kernel as a k=1 product written straight into the
 * arena, then every step (h·U for all batch rows and the fused gate math) inside one kernel call,
 * with h, c and the outputs in linear memory. On a thread pool's arena both are split: the
 * projection by rows like any Conv1D, the recurrence by batch rows (each row's steps depend only
 * on that row, so the threads never meet between steps). Per run only the input, the mask and the initial
 * states are copied in (the input not at all inside a plan, where it already lies in the arena),
 * and only the outputs that are not arena views are copied out.
 *
 * Returns null for what the kernels do not cover (activations other than
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

/** Flag bits of gruRows / simpleRows (./assembly/recurrent.ts). */
const BACKWARDS = 1;
const ZERO_MASKED = 2;
const RESET_AFTER = 4;

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * `m`'s columns [from, to) of a row-major [rows, cols] matrix into `out` in the kernel's panels of
 * 8 columns ([panel][row][8]), zero past `to`; returns how many floats that is.
 */
function packPanels(m: Float32Array, rows: number, cols: number, from: number, to: number, out: Float32Array): number {
  const padded = pad8(to - from);
  for (let p = 0; p < padded / 8; p++) {
    for (let k = 0; k < rows; k++) {
      for (let j = 0; j < 8; j++) {
        const col = from + p * 8 + j;
        out[(p * rows + k) * 8 + j] = col < to ? m[k * cols + col] : 0;
      }
    }
  }
  return padded * rows;
}

export function prepareRecurrentWasm(
  a: RecurrentAttrs,
  w: RecurrentWeights,
  batch: number,
  steps: number,
  arena: WasmArena,
): (((run: RecurrentRun, output: Float32Array, states: Float32Array[]) => void) & { dispose(): void }) | null {
  const act = code(a.activation);
  // SimpleRNN has no gate activation: whatever its attrs hold does not decide anything
  const rec = a.cell === 'simple' ? [0, 0] : code(a.recurrentActivation);
  const kernel = a.cell === 'lstm' ? 'lstmRows' : a.cell === 'gru' ? 'gruRows' : 'simpleRows';
  if (!act || !rec || !arena.exports[kernel] || batch < 1 || steps < 1) return null;
  const u = a.units;
  const n = a.inFeatures;
  const gu = GATES[a.cell] * u;
  const resetAfter = a.cell === 'gru' && a.resetAfter;
  const plainGru = a.cell === 'gru' && !a.resetAfter;
  // the columns of one step's h·U: all gates, except a plain GRU's z and r (its (r ⊙ h)·U_h is a
  // second product, on panels of their own)
  const padded = pad8(plainGru ? 2 * u : gu);
  const paddedU = pad8(u);
  const rows = batch * steps;
  const project = own(
    prepareConv1dWasm(
      { batch: 1, inLength: rows, inChannels: n, filters: gu, kernelSize: 1, stride: 1, dilation: 1, groups: 1, padBefore: 0, outLength: rows },
      w.kernel,
      w.bias ? w.bias.subarray(0, gu) : null,
      { arena, path: `wasm-${a.cell}-projection` },
    ),
  );
  const regions: { at: number; bytes: number }[] = [];
  const region = (floats: number) => {
    const at = arena.alloc(floats * 4);
    regions.push({ at, bytes: floats * 4 });
    return at;
  };
  const projAt = region(rows * gu);
  const uFloats = u * padded + (plainGru ? u * paddedU : 0);
  const uAt = region(uFloats);
  // GRU reset_after's recurrent bias b', added to h·U inside the product (zero-padded to the panels)
  const ubiasAt = resetAfter && w.bias ? region(padded) : 0;
  const hAt = region(batch * u);
  const cAt = a.cell === 'lstm' ? region(batch * u) : 0;
  const prevAt = region(batch * u);
  const huAt = region(batch * padded);
  const rhAt = plainGru ? region(batch * u) : 0;
  const rhuAt = plainGru ? region(batch * paddedU) : 0;
  // always: a Bidirectional passes its mask to directions whose own attrs say hasMask false
  const maskAt = region(rows);
  // An output that is not an arena view (a direct call; a Bidirectional's per-direction buffers) is
  // written here and copied out. Taken now even if every run turns out in place: taking it during a
  // run could grow the memory and detach the views a plan's run holds.
  const outAt = a.returnSequences ? region(rows * u) : 0;
  // U in the kernel's panels of 8 columns; a plain GRU's U_h columns in panels of their own after
  // its z and r ones
  const up = arena.f32(uAt, uFloats);
  const at = packPanels(w.recurrentKernel, u, gu, 0, plainGru ? 2 * u : gu, up);
  if (plainGru) packPanels(w.recurrentKernel, u, gu, 2 * u, gu, up.subarray(at));
  if (ubiasAt) arena.f32(ubiasAt, padded).set(w.bias!.subarray(gu, 2 * gu));
  // The projection packs its weights and takes its input region on its first run: run it now, on
  // zeros, so no run of a plan grows the memory (as matmulFromConv1d does).
  project.run(new Float32Array(rows * n), arena.f32(projAt, rows * gu));
  // Inside a plan, plan.dispose() frees all of it; a direct caller (the bench) calls dispose().
  const dispose = () => {
    project.dispose();
    regions.splice(0).forEach((r) => arena.release(r.at, r.bytes));
  };
  own({ dispose });

  const flags = (a.goBackwards ? BACKWARDS : 0) | (a.zeroOutputForMask ? ZERO_MASKED : 0) | (resetAfter ? RESET_AFTER : 0);
  const actArgs = [act[0], float32Bits(act[1])];
  const recArgs = [rec[0], float32Bits(rec[1])];
  const sequence = (run: RecurrentRun, output: Float32Array, states: Float32Array[]) => {
    const f32 = (at: number, len: number) => new Float32Array(arena.memory.buffer, at, len);
    project.run(run.x, f32(projAt, rows * gu));
    const h = f32(hAt, batch * u);
    h.fill(0);
    if (cAt) f32(cAt, batch * u).fill(0);
    f32(prevAt, batch * u).fill(0);
    if (run.initial) {
      h.set(run.initial[0].subarray(0, batch * u));
      if (cAt) f32(cAt, batch * u).set(run.initial[1].subarray(0, batch * u));
    }
    let maskPtr = 0;
    if (run.mask) {
      const m = f32(maskAt, rows);
      for (let i = 0; i < rows; i++) m[i] = run.mask[i] !== 0 ? 1 : 0;
      maskPtr = maskAt;
    }
    const inPlace = a.returnSequences && output.buffer === arena.memory.buffer;
    const outPtr = !a.returnSequences ? 0 : inPlace ? output.byteOffset : outAt;
    const args =
      a.cell === 'lstm'
        ? [projAt, uAt, hAt, cAt, prevAt, huAt, outPtr, maskPtr, batch, steps, u, padded, a.goBackwards ? 1 : 0, a.zeroOutputForMask ? 1 : 0, ...actArgs, ...recArgs]
        : a.cell === 'gru'
          ? [projAt, uAt, ubiasAt, hAt, prevAt, huAt, rhAt, rhuAt, outPtr, maskPtr, batch, steps, u, flags, ...actArgs, ...recArgs]
          : [projAt, uAt, hAt, prevAt, huAt, outPtr, maskPtr, batch, steps, u, flags, ...actArgs];
    // Every batch row runs its whole recurrence on its own, so a thread pool's threads each take
    // rows (in fours: the tile of h·U) and never wait on one another between steps.
    arena.executor.execute({ kernel, args, rows: batch, relu: 0, flops: 2 * batch * steps * u * gu, grain: 4 });
    if (!a.returnSequences) output.set(f32(prevAt, batch * u));
    else if (!inPlace) output.set(f32(outAt, rows * u));
    states[0].set(f32(hAt, batch * u));
    if (cAt) states[1].set(f32(cAt, batch * u));
  };
  return Object.assign(sequence, { dispose });
}
