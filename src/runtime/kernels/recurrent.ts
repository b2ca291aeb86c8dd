/**
 * LSTM, GRU and SimpleRNN kernels (attributes and weight layout: src/ir/ops/recurrent.ts).
 *
 * Two implementations side by side:
 * - `recurrentReference`: the cell equations written out one step, one batch row, one unit at a
 *   time, in float64. Obviously correct, slow; the oracle of the property tests.
 * - `prepareRecurrent`: what runs. The input projections x·W + b of every step are one matmul
 *   over all batch·steps rows before the loop (the bulk of the work when steps are many); the loop
 *   then only adds h·U per step. Same equations, float64 accumulation.
 *
 * Cell equations (Keras 2/3; Keras 1 is the same with its separate matrices concatenated):
 *   LSTM   z = x·W + h·U + b;  i = σ(z_i), f = σ(z_f), c' = f⊙c + i⊙act(z_c), o = σ(z_o), h' = o⊙act(c')
 *   GRU    z = σ(x·W_z + h·U_z + b_z), r = σ(x·W_r + h·U_r + b_r),
 *          resetAfter: ĥ = act(x·W_h + b_h + r⊙(h·U_h + b'_h))   else ĥ = act(x·W_h + b_h + (r⊙h)·U_h)
 *          h' = z⊙h + (1 − z)⊙ĥ
 *   Simple h' = act(x·W + b + h·U)
 * where σ is `recurrentActivation`. Masking (Keras's backend rnn): a masked step keeps the states
 * and outputs the previous output (zeros before any output; zeros always with zeroOutputForMask).
 */
import type { RecurrentAttrs } from '../../ir/ops/recurrent.js';
import { GATES, stateCount } from '../../ir/ops/recurrent.js';
import { scalarActivation } from '../activations.js';
import { LINEAR, type Activation } from '../../ir/ops/index.js';
import type { NodeOf } from '../../ir/graph.js';
import { optionalWeight, weightF32, type CompileContext, type NodeCompiler } from '../step.js';
import type { Conv1DImpl } from './conv1d-types.js';
import { WasmArena } from '../wasm/engine.js';
import { prepareRecurrentWasm } from '../wasm/recurrent.js';
import { planWorkspace } from '../workspace.js';
import { KconvError } from '../../errors.js';
import { bidirectionalCarry, initialStateRule } from '../stateful-rules.js';

export interface RecurrentWeights {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  /** [gates·units], or [2, 3·units] for GRU resetAfter; null without bias. */
  bias: Float32Array | null;
}

export interface RecurrentRun {
  /** x [batch, steps, inFeatures]. */
  x: Float32Array;
  /** [batch, steps], nonzero = keep the step; null = no mask. */
  mask: ArrayLike<number> | null;
  /** Initial states (LSTM h, c; others h), each [batch, units]; null = zeros. */
  initial: Float32Array[] | null;
}

export interface RecurrentResult {
  /** [batch, steps, units] when returnSequences, else [batch, units]. */
  output: Float32Array;
  /** Final states, each [batch, units]. */
  states: Float32Array[];
}

function fn(act: Activation): (x: number) => number {
  const f = scalarActivation(act);
  if (!f) throw new Error(`recurrent activation ${act.fn} is not elementwise`);
  return f;
}

/** One step of one batch row: new states from the input row and old states. Plain loops. */
function referenceStep(a: RecurrentAttrs, w: RecurrentWeights, xRow: Float32Array, h: Float64Array, c: Float64Array): [Float64Array<ArrayBuffer>, Float64Array<ArrayBuffer>] {
  const u = a.units;
  const n = a.inFeatures;
  const gu = GATES[a.cell] * u;
  const act = fn(a.activation);
  const rec = fn(a.recurrentActivation);
  // x·W + b and h·U for every gate column
  const xw = new Float64Array(gu);
  const hu = new Float64Array(gu);
  for (let j = 0; j < gu; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xRow[i] * w.kernel[i * gu + j];
    if (w.bias) s += w.bias[j];
    xw[j] = s;
    let r = 0;
    for (let k = 0; k < u; k++) r += h[k] * w.recurrentKernel[k * gu + j];
    if (w.bias && a.cell === 'gru' && a.resetAfter) r += w.bias[gu + j];
    hu[j] = r;
  }
  const h2 = new Float64Array(u);
  const c2 = new Float64Array(u);
  for (let k = 0; k < u; k++) {
    if (a.cell === 'simple') {
      h2[k] = act(xw[k] + hu[k]);
    } else if (a.cell === 'lstm') {
      const i = rec(xw[k] + hu[k]);
      const f = rec(xw[u + k] + hu[u + k]);
      const g = act(xw[2 * u + k] + hu[2 * u + k]);
      const o = rec(xw[3 * u + k] + hu[3 * u + k]);
      c2[k] = f * c[k] + i * g;
      h2[k] = o * act(c2[k]);
    }
  }
  if (a.cell === 'gru') {
    const z = new Float64Array(u);
    const r = new Float64Array(u);
    for (let k = 0; k < u; k++) {
      z[k] = rec(xw[k] + hu[k]);
      r[k] = rec(xw[u + k] + hu[u + k]);
    }
    for (let k = 0; k < u; k++) {
      let inner: number;
      if (a.resetAfter) inner = r[k] * hu[2 * u + k];
      else {
        inner = 0;
        for (let m = 0; m < u; m++) inner += r[m] * h[m] * w.recurrentKernel[m * gu + 2 * u + k];
      }
      const hh = act(xw[2 * u + k] + inner);
      h2[k] = z[k] * h[k] + (1 - z[k]) * hh;
    }
  }
  return [h2, c2];
}

/** The plain reference: every step, every row, every gate written out. */
export function recurrentReference(a: RecurrentAttrs, w: RecurrentWeights, batch: number, steps: number, run: RecurrentRun): RecurrentResult {
  const u = a.units;
  const n = a.inFeatures;
  const output = new Float32Array(a.returnSequences ? batch * steps * u : batch * u);
  const states = Array.from({ length: stateCount(a.cell) }, () => new Float32Array(batch * u));
  for (let b = 0; b < batch; b++) {
    let h = new Float64Array(u);
    let c = new Float64Array(u);
    if (run.initial) {
      for (let k = 0; k < u; k++) h[k] = run.initial[0][b * u + k];
      if (a.cell === 'lstm') for (let k = 0; k < u; k++) c[k] = run.initial[1][b * u + k];
    }
    let prev = new Float64Array(u); // the previous output, for masked steps
    for (let s = 0; s < steps; s++) {
      const t = a.goBackwards ? steps - 1 - s : s;
      const xRow = run.x.subarray((b * steps + t) * n, (b * steps + t + 1) * n);
      const keep = run.mask === null || run.mask[b * steps + t] !== 0;
      let out: Float64Array<ArrayBuffer>;
      if (keep) {
        [h, c] = referenceStep(a, w, xRow, h, c);
        out = h;
      } else {
        out = a.zeroOutputForMask ? new Float64Array(u) : prev;
      }
      prev = out;
      // outputs are in processing order: a go_backwards sequence comes out reversed, as in Keras
      if (a.returnSequences) for (let k = 0; k < u; k++) output[(b * steps + s) * u + k] = out[k];
    }
    if (!a.returnSequences) for (let k = 0; k < u; k++) output[b * u + k] = prev[k];
    for (let k = 0; k < u; k++) states[0][b * u + k] = h[k];
    if (a.cell === 'lstm') for (let k = 0; k < u; k++) states[1][b * u + k] = c[k];
  }
  return { output, states };
}

/** y[rows, out] = x[rows, in] · W (+ b): the products a recurrent kernel needs, prepared once. */
export type MatmulFactory = (rows: number, inFeatures: number, outFeatures: number, w: Float32Array, bias: Float32Array | null) => (x: Float32Array, y: Float32Array) => void;

/** Plain loops (float64 accumulation): the default, and what runs where no faster product is given. */
export const plainMatmul: MatmulFactory = (rows, inF, outF, w, bias) => {
  const acc = new Float64Array(outF);
  return (x, y) => {
    for (let r = 0; r < rows; r++) {
      if (bias) for (let j = 0; j < outF; j++) acc[j] = bias[j];
      else acc.fill(0);
      for (let i = 0; i < inF; i++) {
        const xv = x[r * inF + i];
        if (xv === 0) continue;
        const wb = i * outF;
        for (let j = 0; j < outF; j++) acc[j] += xv * w[wb + j];
      }
      for (let j = 0; j < outF; j++) y[r * outF + j] = acc[j];
    }
  };
};

/**
 * Products by a Conv1D implementation: x[rows, in] · W is a kernel-size-1 convolution over `rows`
 * steps, and the canonical kernel [1, in, out] is W itself. Lets the recurrent kernel use the
 * plan's fastest Conv1D (blocked, WASM SIMD).
 */
export function matmulFromConv1d(impl: Conv1DImpl<unknown>): MatmulFactory {
  return (rows, inFeatures, outFeatures, w, bias) => {
    const params = { kernelSize: 1, stride: 1, dilation: 1, groups: 1, inChannels: inFeatures, filters: outFeatures, layout: 'NWC' as const, activation: LINEAR };
    const run = impl.prepare(params, { batch: 1, inLength: rows, outLength: rows, padBefore: 0 }, impl.pack(params, w, bias));
    // The WASM Conv1D packs its weights (and may grow its memory) on its first run. Inside a plan
    // whose values live in that memory, growth during the step would detach the step's own
    // input/output views; so the first run happens here, at compile time, on zeros.
    run(new Float32Array(rows * inFeatures), new Float32Array(rows * outFeatures));
    return run;
  };
}

/** The columns [from, to) of a row-major [rows, cols] matrix, as their own matrix. */
function columns(m: Float32Array, rows: number, cols: number, from: number, to: number): Float32Array {
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * cols + from, r * cols + to), r * (to - from));
  return out;
}

/**
 * The kernel that runs, for a fixed batch and step count: returns a function filling `output`
 * and `states` (caller-owned, sized as in RecurrentResult). Each step is one product over all
 * batch rows (h·U), after one product for the input projections of every step; `matmul` makes
 * those products (the plan passes its fastest Conv1D as a k=1 product). Buffers are allocated once.
 *
 * Given a WASM kernel arena, a cell with the activations the WASM kernels have runs there instead
 * (../wasm/recurrent.ts): the JS gate math was most of the layer's time. Other activations, and
 * every call without an arena, run the loop below.
 */
export function prepareRecurrent(a: RecurrentAttrs, w: RecurrentWeights, batch: number, steps: number, matmul: MatmulFactory = plainMatmul, arena: WasmArena | null = null) {
  const wasm = arena ? prepareRecurrentWasm(a, w, batch, steps, arena) : null;
  if (wasm) return wasm;
  const u = a.units;
  const n = a.inFeatures;
  const gu = GATES[a.cell] * u;
  const act = fn(a.activation);
  const rec = fn(a.recurrentActivation);
  const plainGru = a.cell === 'gru' && !a.resetAfter;
  const resetAfter = a.cell === 'gru' && a.resetAfter;
  const inBias = w.bias ? w.bias.subarray(0, gu) : null;
  const recBias = w.bias && resetAfter ? w.bias.subarray(gu, 2 * gu) : null;
  // a plain GRU multiplies (r ⊙ h) by U_h, so its h·U covers the z and r columns only
  const recCols = plainGru ? 2 * u : gu;
  const project = matmul(batch * steps, n, gu, w.kernel, inBias);
  const recur = matmul(batch, u, recCols, plainGru ? columns(w.recurrentKernel, u, gu, 0, 2 * u) : w.recurrentKernel, recBias);
  const candidate = plainGru ? matmul(batch, u, u, columns(w.recurrentKernel, u, gu, 2 * u, gu), null) : null;
  const proj = new Float32Array(batch * steps * gu); // x·W + b for every (batch, step)
  const hu = new Float32Array(batch * recCols);
  const rhU = new Float32Array(batch * u);
  const rh = new Float32Array(batch * u);
  const gates = new Float64Array(2 * u);
  const h = new Float32Array(batch * u);
  const c = new Float32Array(batch * u);
  const prev = new Float32Array(batch * u);

  return (run: RecurrentRun, output: Float32Array, states: Float32Array[]) => {
    project(run.x, proj);
    h.fill(0);
    c.fill(0);
    prev.fill(0);
    if (run.initial) {
      h.set(run.initial[0].subarray(0, batch * u));
      if (a.cell === 'lstm') c.set(run.initial[1].subarray(0, batch * u));
    }
    for (let s = 0; s < steps; s++) {
      const t = a.goBackwards ? steps - 1 - s : s;
      recur(h, hu);
      if (candidate) {
        // r for every row first: (r ⊙ h) · U_h needs them all
        for (let b = 0; b < batch; b++) {
          const p = (b * steps + t) * gu;
          for (let k = 0; k < u; k++) rh[b * u + k] = rec(proj[p + u + k] + hu[b * recCols + u + k]) * h[b * u + k];
        }
        candidate(rh, rhU);
      }
      for (let b = 0; b < batch; b++) {
        const hb = b * u;
        const keep = run.mask === null || run.mask[b * steps + t] !== 0;
        if (keep) {
          const p = (b * steps + t) * gu;
          const q = b * recCols;
          if (a.cell === 'simple') {
            for (let k = 0; k < u; k++) h[hb + k] = act(proj[p + k] + hu[q + k]);
          } else if (a.cell === 'lstm') {
            for (let k = 0; k < u; k++) {
              const i = rec(proj[p + k] + hu[q + k]);
              const f = rec(proj[p + u + k] + hu[q + u + k]);
              const g = act(proj[p + 2 * u + k] + hu[q + 2 * u + k]);
              const o = rec(proj[p + 3 * u + k] + hu[q + 3 * u + k]);
              const cv = f * c[hb + k] + i * g;
              c[hb + k] = cv;
              h[hb + k] = o * act(cv);
            }
          } else {
            for (let k = 0; k < u; k++) {
              gates[k] = rec(proj[p + k] + hu[q + k]); // z
              gates[u + k] = rec(proj[p + u + k] + hu[q + u + k]); // r
            }
            for (let k = 0; k < u; k++) {
              const inner = resetAfter ? gates[u + k] * hu[q + 2 * u + k] : rhU[hb + k];
              const hh = act(proj[p + 2 * u + k] + inner);
              const z = gates[k];
              h[hb + k] = z * h[hb + k] + (1 - z) * hh;
            }
          }
          prev.set(h.subarray(hb, hb + u), hb);
        } else if (a.zeroOutputForMask) {
          prev.fill(0, hb, hb + u);
        }
        if (a.returnSequences) output.set(prev.subarray(hb, hb + u), (b * steps + s) * u);
      }
    }
    if (!a.returnSequences) output.set(prev);
    states[0].set(h);
    if (a.cell === 'lstm') states[1].set(c);
  };
}

/** Reverses the steps axis of [batch, steps, width] (a go_backwards sequence back to input order). */
export function reverseSteps(x: Float32Array, batch: number, steps: number, width: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < steps; s++) {
      const from = (b * steps + s) * width;
      out.set(x.subarray(from, from + width), (b * steps + (steps - 1 - s)) * width);
    }
  }
  return out;
}

/**
 * Keras Bidirectional's merge of the two directions' outputs (the backward sequence already back
 * in input order): concat along the last axis, sum, mul, ave; null keeps both (two outputs).
 */
export function mergeDirections(mode: 'concat' | 'sum' | 'mul' | 'ave' | null, fw: Float32Array, bw: Float32Array, rows: number, fwWidth: number, bwWidth: number): Float32Array[] {
  if (mode === null) return [fw, bw];
  if (mode === 'concat') {
    const width = fwWidth + bwWidth;
    const out = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) {
      out.set(fw.subarray(r * fwWidth, (r + 1) * fwWidth), r * width);
      out.set(bw.subarray(r * bwWidth, (r + 1) * bwWidth), r * width + fwWidth);
    }
    return [out];
  }
  const out = new Float32Array(fw.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = mode === 'sum' ? fw[i] + bw[i] : mode === 'mul' ? fw[i] * bw[i] : (fw[i] + bw[i]) / 2;
  }
  return [out];
}

// ---------------------------------------------------------------------------------------------
// Plan steps

function directionWeights(ctx: CompileContext, node: NodeOf<'Recurrent'> | NodeOf<'Bidirectional'>, a: RecurrentAttrs, prefix: string): RecurrentWeights {
  return {
    kernel: weightF32(ctx, node, `${prefix}kernel`),
    recurrentKernel: weightF32(ctx, node, `${prefix}recurrent_kernel`),
    bias: optionalWeight(ctx, node, `${prefix}bias`, a.useBias),
  };
}

/** The plan's kernel arena when its values live in one (a WASM Conv1D plan), else null. */
function planArena(): WasmArena | null {
  const ws = planWorkspace();
  return ws instanceof WasmArena ? ws : null;
}

/** Recurrent: inputs sequence [, mask] [, initial states]; outputs the output [, final states]. */
export const compileRecurrent: NodeCompiler<'Recurrent'> = (ctx, node, inShapes) => {
  const a = node.attrs;
  const [batch, steps] = inShapes[0];
  const run = prepareRecurrent(a, directionWeights(ctx, node, a, ''), batch, steps, matmulFromConv1d(ctx.conv1d), planArena());
  const nStates = stateCount(a.cell);
  const scratch = Array.from({ length: nStates }, () => new Float32Array(batch * a.units));
  const first = a.hasMask ? 2 : 1;
  // initial states given as inputs against carried ones: the writer's Keras decides (stateful-rules.ts)
  const kerasVersion = ctx.graph.provenance.kerasVersion;
  const rule = a.stateful && a.initialStates ? initialStateRule(kerasVersion) : 'given';
  return {
    outputs: 1 + (a.returnState ? nStates : 0),
    stateful: a.stateful,
    run(inputs, outputs, carry) {
      let initial = carry?.initial ?? null;
      if (a.initialStates) {
        // what tf.keras 2.12+ tests: any non-zero value in the layer's stored states, any row
        const storedNonZero = initial !== null && initial.some((s) => s.some((v) => v !== 0));
        if (storedNonZero && rule === 'unknown') {
          throw new KconvError(
            'UNSUPPORTED_FEATURE',
            `layer '${node.name}' is stateful and given its initial states as inputs while it carries non-zero states from the previous call: ` +
              `Keras 3 (and tf.keras 2.2.4-tf, Keras 2.3) start from the given initial states, tf.keras 2.12+ from its stored states, and which one ` +
              `${kerasVersion ? `Keras ${kerasVersion}` : 'the Keras that wrote this file (no keras_version recorded)'} uses is not known to kconv; ` +
              `call model.resetStates() before the call, or predict without carryState, to start from the given states`,
          );
        }
        if (!(storedNonZero && rule === 'stored-unless-zero')) initial = inputs.slice(first, first + nStates);
      }
      const states = a.returnState ? outputs.slice(1) : scratch;
      run({ x: inputs[0], mask: a.hasMask ? inputs[1] : null, initial }, outputs[0], states);
      // copies: the state buffers are the plan's (or this step's scratch), rewritten next run
      if (carry) carry.final = states.map((s) => s.slice());
    },
  };
};

/** Bidirectional: both directions, the backward output back in input order, merged. */
export const compileBidirectional: NodeCompiler<'Bidirectional'> = (ctx, node, inShapes) => {
  const { forward: f, backward: bw, mergeMode } = node.attrs;
  const [batch, steps] = inShapes[0];
  const matmul = matmulFromConv1d(ctx.conv1d);
  const runF = prepareRecurrent(f, directionWeights(ctx, node, f, 'forward/'), batch, steps, matmul, planArena());
  const runB = prepareRecurrent(bw, directionWeights(ctx, node, bw, 'backward/'), batch, steps, matmul, planArena());
  const seq = f.returnSequences;
  const rows = seq ? batch * steps : batch;
  const outF = new Float32Array(rows * f.units);
  const outB = new Float32Array(rows * bw.units);
  const statesF = Array.from({ length: stateCount(f.cell) }, () => new Float32Array(batch * f.units));
  const statesB = Array.from({ length: stateCount(bw.cell) }, () => new Float32Array(batch * bw.units));
  const merged = mergeMode === null ? 2 : 1;
  const kerasVersion = ctx.graph.provenance.kerasVersion;
  // how the writer's Keras carries a stateful Bidirectional across predict calls (stateful-rules.ts)
  const carries = f.stateful || bw.stateful ? bidirectionalCarry(kerasVersion) : 'carries';
  return {
    outputs: merged + (f.returnState ? statesF.length + statesB.length : 0),
    stateful: f.stateful || bw.stateful,
    run(inputs, outputs, carry) {
      if (carry && carries === 'ambiguous') {
        throw new KconvError(
          'UNSUPPORTED_FEATURE',
          `predict with carryState: the stateful Bidirectional '${node.name}' was written by tf.keras ${kerasVersion}, the version string of both TF 1.13, ` +
            `whose Bidirectional never carries its states from one predict call to the next, and TF 2.0, whose Bidirectional carries them but is not reset by ` +
            `model.reset_states(); the file cannot say which one ran it. Predict without carryState (every call from the zero state, as both do in a first call)`,
        );
      }
      const x = inputs[0];
      const mask = node.attrs.hasMask ? inputs[1] : null;
      // carried states: the forward direction's, then the backward one's (each direction carries
      // its own, as Keras's two wrapped layers do; a direction that is not stateful starts from zero).
      // Keras 2.3.1 never runs the wrapped layers' state updates: every call starts from zero.
      const carried = carries === 'never' ? null : carry?.initial ?? null;
      runF({ x, mask, initial: carried && f.stateful ? carried.slice(0, statesF.length) : null }, outF, statesF);
      runB({ x, mask, initial: carried && bw.stateful ? carried.slice(statesF.length) : null }, outB, statesB);
      if (carry && carries !== 'never') carry.final = [...statesF, ...statesB].map((s) => s.slice());
      const back = seq ? reverseSteps(outB, batch, steps, bw.units) : outB;
      const result = mergeDirections(mergeMode, outF, back, rows, f.units, bw.units);
      result.forEach((r, i) => outputs[i].set(r));
      if (f.returnState) [...statesF, ...statesB].forEach((s, i) => outputs[merged + i].set(s));
    },
  };
};
