/**
 * Recurrent layers: LSTM, GRU and SimpleRNN → ONNX `LSTM`, `GRU`, `RNN` (opset 7 forms, time-major
 * `layout` 0); Bidirectional → one such op per direction, merged as Keras merges; TimeDistributed →
 * the inner op's codec on [batch · steps, ...]; a layer fed a Keras mask → its cell written out as
 * the body of a `Scan`; the mask ops themselves. docs/onnx.md § Recurrent layers has the mapping.
 *
 * The runtime kernel (src/runtime/kernels/recurrent.ts) is the definition followed:
 * - weights: Keras's kernel [in, G·u] and recurrent kernel [u, G·u] become ONNX's W [1, G·u, in]
 *   and R [1, G·u, u], gate blocks in ONNX's order (LSTM i, o, f, c from Keras's i, f, c, o; GRU
 *   z, r, h as in Keras). ONNX adds a bias for the input and one for the recurrent projection:
 *   Keras's single bias is the input half, zeros the recurrent one; GRU reset_after's two biases
 *   are the two halves, with linear_before_reset = 1 (the recurrent bias inside r ⊙ (…), as in
 *   Keras); reset_after = False is linear_before_reset = 0 with a zero recurrent bias, where ONNX's
 *   candidate act(x·W_h + (r ⊙ h)·R_h + Rb_h + Wb_h) is Keras's act(x·W_h + b_h + (r ⊙ h)·U_h).
 * - go_backwards is direction "reverse": ONNX writes each step's output at the step's own
 *   position, Keras in processing order, so a returned sequence is reversed along time.
 * - the last output (return_sequences False) is Y_h: without a mask the last processed step's.
 * - masks: ONNX's sequence_lens only drops steps at the end of a row, a Keras mask any step, so a
 *   masked layer is a Scan whose body is the cell and the runtime's masking rule.
 *
 * - activations ONNX's recurrent ops do not apply as Keras does are written out in a Scan too.
 */
import type { Node } from '../../ir/graph.js';
import { type Activation, type OpType, opDef } from '../../ir/ops/index.js';
import { GATES, type RecurrentAttrs, stateCount } from '../../ir/ops/recurrent.js';
import { innerNode } from '../../ir/ops/time-distributed.js';
import type { Dim, SymShape } from '../../ir/shapes.js';
import { emitActivation } from '../activations.js';
import type { OnnxCodec } from '../codec.js';
import { type AttrValue, floats, layerName, notRepresentable, type OnnxEmitter } from '../emitter.js';
import { ONNX_DTYPE, type ValueInfoProto } from '../proto.js';

/** ONNX's LSTM gates i, o, f, c as indices into Keras's i, f, c, o. */
const LSTM_GATE_ORDER = [0, 3, 1, 2];

const ONNX_OP = { lstm: 'LSTM', gru: 'GRU', simple: 'RNN' } as const;

/** An activation of ONNX's recurrent ops: its name and the parameters it takes (in ONNX's order: alpha, beta). */
interface RnnActivation {
  name: string;
  alpha?: number;
  beta?: number;
}

/**
 * A Keras activation as one of the functions ONNX's LSTM/GRU/RNN take (Relu, Tanh, Sigmoid,
 * Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus) with
 * kconv's runtime parameters, or null when those ops cannot apply it as Keras does (the layer is
 * then written as a Scan of its cell, where every activation kconv exports is available).
 */
function rnnActivation(act: Activation): RnnActivation | null {
  switch (act.fn) {
    case 'sigmoid':
      return { name: 'Sigmoid' };
    case 'tanh':
      return { name: 'Tanh' };
    case 'linear':
      return { name: 'Affine', alpha: 1, beta: 0 };
    case 'softsign':
      return { name: 'Softsign' };
    case 'hard_sigmoid':
      // clip(alpha·x + 0.5, 0, 1): the slope the file's generation uses (0.2 Keras 1/2, 1/6 Keras 3)
      return { name: 'HardSigmoid', alpha: act.alpha ?? 0.2, beta: 0.5 };
    case 'leaky_relu':
      return { name: 'LeakyRelu', alpha: act.alpha ?? 0.3 };
    case 'elu':
      return { name: 'Elu', alpha: act.alpha ?? 1 };
    case 'relu':
      if ((act.maxValue ?? null) === null && !act.threshold) return act.alpha ? { name: 'LeakyRelu', alpha: act.alpha } : { name: 'Relu' };
      return null;
    // softplus: ONNX's recurrent Softplus is Keras's function, but onnxruntime computes it there as
    // log(1 + exp(x)) in float32: infinity from x ≈ 89 on, where Keras gives x (its Softplus op does not).
    // thresholded_relu: the recurrent ops define it as x >= alpha ? x : 0, Keras zeroes x = theta.
    // The rest (selu, gelu, swish, relu6…) are not in the list at all.
    default:
      return null;
  }
}

/**
 * The `activations` attribute and its parameter lists. The lists hold one value per function that
 * takes the parameter, in the order of the functions (how the ONNX definition "consumes" them and
 * how onnxruntime reads them); they are written only when some function takes one.
 */
function activationAttrs(acts: RnnActivation[]): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { activations: acts.map((a) => a.name) };
  const alphas = acts.filter((a) => a.alpha !== undefined).map((a) => a.alpha!);
  const betas = acts.filter((a) => a.beta !== undefined).map((a) => a.beta!);
  if (alphas.length > 0) attrs.activation_alpha = floats(alphas);
  if (betas.length > 0) attrs.activation_beta = floats(betas);
  return attrs;
}

/** The functions of one direction in ONNX's order (LSTM f, g, h; GRU f, g; RNN f), or null when one has no exact ONNX recurrent form. */
function cellActivations(a: RecurrentAttrs): RnnActivation[] | null {
  const act = rnnActivation(a.activation);
  if (!act) return null;
  if (a.cell === 'simple') return [act];
  const gate = rnnActivation(a.recurrentActivation);
  if (!gate) return null;
  return a.cell === 'lstm' ? [gate, act, act] : [gate, act];
}

/** Whether a direction is written with ONNX's fused LSTM/GRU/RNN op (else as a Scan of its cell): no mask, and activations the op applies exactly. */
function fused(a: RecurrentAttrs, masked: boolean): boolean {
  return !masked && cellActivations(a) !== null;
}

function warnStateful(e: OnnxEmitter, node: Node, a: RecurrentAttrs): void {
  if (!a.stateful) return;
  const w = `layer '${layerName(node)}' (${node.keras?.className ?? node.op}) is stateful: the ONNX model runs every call from the zero state (or the initial states given as inputs), as kconv's predict does by default; it does not carry states from one call to the next (kconv's carryState has no counterpart in the exported model)`;
  if (!e.warnings.includes(w)) e.warnings.push(w);
}

/** The time-major form [steps, batch, features] of sequence value `v`, made once per emitter and value. */
const timeMajorCache = new WeakMap<OnnxEmitter, Map<string, string>>();
function timeMajor(e: OnnxEmitter, v: string): string {
  let cache = timeMajorCache.get(e);
  if (!cache) timeMajorCache.set(e, (cache = new Map()));
  const have = cache.get(v);
  if (have !== undefined) return have;
  // from [batch, steps, features], or from the swapped [batch, features, steps] a convolution left
  const swapped = !e.has(v, 'keras');
  const out = e.op('Transpose', [e.value(v, swapped ? 'swapped' : 'keras')], `${v}/to_time_major`, { perm: swapped ? [2, 0, 1] : [1, 0, 2] });
  cache.set(v, out);
  return out;
}

/** Slice's "to the start" for a negative step (clamped to -1, before the first element). */
const BEFORE_START = -Number.MAX_SAFE_INTEGER;

/** `t` reversed along axis 0 (of length `steps`): a Gather of the constant indices when the length is known, else a Slice with step -1 (opset 10). */
function reverseTime(e: OnnxEmitter, t: string, steps: Dim, name: string): string {
  if (typeof steps === 'number') {
    const indices = Array.from({ length: steps }, (_, i) => steps - 1 - i);
    return e.op('Gather', [t, e.int64s(`${name}/reversed_steps`, indices)], `${name}/reverse_steps`, { axis: 0 });
  }
  return e.op('Slice', [t, e.int64s(`${name}/starts`, [-1]), e.int64s(`${name}/ends`, [BEFORE_START]), e.int64s(`${name}/axes`, [0]), e.int64s(`${name}/steps`, [-1])], `${name}/reverse_steps`);
}

interface CellOutputs {
  /** [batch, steps, units] in Keras's layout, or null when not asked for. */
  sequence: string | null;
  /** [batch, units]: the last output. */
  last: string;
  /** [batch, units]: the final h (the last output unless a mask dropped the last steps). */
  h: string;
  /** LSTM's final c [batch, units], or null. */
  c: string | null;
}

/**
 * One direction: the ONNX op of `a`'s cell run over `x` (time-major), weights `prefix`ed.
 * `reverseSequence`: return the sequence reversed along time (ONNX gives each step's output at
 * its own position).
 */
function emitCell(e: OnnxEmitter, node: Node, a: RecurrentAttrs, prefix: string, x: string, steps: Dim, name: string, reverseSequence: boolean, initial: string[] | null): CellOutputs {
  const u = a.units;
  const n = a.inFeatures;
  const g = GATES[a.cell];
  const blocks = (axis: number) => (a.cell === 'lstm' ? { axis, order: LSTM_GATE_ORDER } : null);
  const w = e.weightAs(node, `${prefix}kernel`, { view: [n, g, u], blocks: blocks(1), perm: [1, 2, 0], dims: [1, g * u, n] });
  const r = e.weightAs(node, `${prefix}recurrent_kernel`, { view: [u, g, u], blocks: blocks(1), perm: [1, 2, 0], dims: [1, g * u, u] });
  let b = '';
  if (a.useBias) {
    if (a.cell === 'gru' && a.resetAfter) b = e.weightAs(node, `${prefix}bias`, { dims: [1, 2 * g * u] });
    else {
      const wb = e.weightAs(node, `${prefix}bias`, { view: [g, u], blocks: blocks(0), dims: [1, g * u] });
      b = e.op('Concat', [wb, e.floats(`${name}/recurrent_bias`, new Array<number>(g * u).fill(0), [1, g * u])], `${name}/bias`, { axis: 1 });
    }
  }
  const inputs = [x, w, r, b];
  if (initial) {
    inputs.push('', ...initial.map((s, i) => e.op('Reshape', [s, e.int64s(`${name}/state_shape`, [1, -1, u])], `${name}/initial_${i === 0 ? 'h' : 'c'}`)));
  }
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const attrs: Record<string, AttrValue> = { hidden_size: u, direction: a.goBackwards ? 'reverse' : 'forward', ...activationAttrs(cellActivations(a)!) };
  if (a.cell === 'gru') attrs.linear_before_reset = a.resetAfter ? 1 : 0;
  const y = a.returnSequences ? e.fresh(`${name}/Y`) : '';
  const yh = e.fresh(`${name}/Y_h`);
  const outputs = [y, yh];
  const yc = a.cell === 'lstm' && a.returnState ? e.fresh(`${name}/Y_c`) : null;
  if (yc) outputs.push(yc);
  e.add(ONNX_OP[a.cell], inputs, outputs, name, attrs);
  const batchRows = (t: string, what: string) => e.op('Reshape', [t, e.int64s(`${name}/${what}_shape`, [-1, u])], `${name}/${what}`);
  let sequence: string | null = null;
  if (a.returnSequences) {
    // Y [steps, 1, batch, u] → [batch, steps, 1, u] → [batch, steps, u]
    const ordered = reverseSequence ? reverseTime(e, y, steps, name) : y;
    const batchFirst = e.op('Transpose', [ordered], `${name}/batch_major`, { perm: [2, 0, 1, 3] });
    sequence = e.op('Reshape', [batchFirst, e.int64s(`${name}/sequence_shape`, [0, 0, u])], `${name}/sequence`);
  }
  const last = batchRows(yh, 'last_h');
  return { sequence, last, h: last, c: yc ? batchRows(yc, 'last_c') : null };
}

/** A float tensor's type for a Scan body's inputs and outputs (unknown batch). */
function floatInfo(name: string, dims: (number | null)[]): ValueInfoProto {
  return { name, type: { tensor_type: { elem_type: ONNX_DTYPE.float32, shape: { dim: dims.map((d) => (d === null ? {} : { dim_value: d })) } } } };
}

/** Columns [k·u, (k+1)·u) of a [rows, G·u] tensor. */
function gate(e: OnnxEmitter, t: string, k: number, u: number, name: string): string {
  return e.op('Slice', [t, e.int64s(`${name}/starts`, [k * u]), e.int64s(`${name}/ends`, [(k + 1) * u]), e.int64s(`${name}/axes`, [1])], name);
}

/**
 * One direction with a Keras mask: the cell written out step by step as the body of a `Scan` over
 * the steps axis (axis 1 of the Keras-layout sequence and of the mask), with kconv's runtime
 * equations and masking rule. At a masked step the states are kept and the output is the previous
 * one (zeros with zeroOutputForMask); ONNX's LSTM/GRU/RNN cannot do that (their sequence_lens
 * only drops steps at the end of a row). `reverseOutput`: stack the outputs last step first
 * (Bidirectional's backward direction, which Keras returns in input order).
 */
function emitScanCell(e: OnnxEmitter, node: Node, a: RecurrentAttrs, prefix: string, seq: string, maskV: string | null, name: string, reverseOutput: boolean, initial: string[] | null): CellOutputs {
  const u = a.units;
  const lstm = a.cell === 'lstm';
  const plainGru = a.cell === 'gru' && !a.resetAfter;
  // the weights as the body multiplies them (outer-graph values the body reads)
  const kernel = e.weight(node, `${prefix}kernel`);
  const recurrentKernel = e.weight(node, `${prefix}recurrent_kernel`);
  let inBias: string | null = null;
  let recBias: string | null = null;
  if (a.useBias) {
    const bias = e.weight(node, `${prefix}bias`);
    if (a.cell === 'gru' && a.resetAfter) {
      inBias = e.op('Gather', [bias, e.int64s(`${name}/input_bias_row`, [0])], `${name}/input_bias`, { axis: 0 });
      recBias = e.op('Gather', [bias, e.int64s(`${name}/recurrent_bias_row`, [1])], `${name}/recurrent_bias`, { axis: 0 });
    } else inBias = bias;
  }
  // a plain GRU multiplies (r ⊙ h) by U_h: z and r's columns apart from h's
  const recZR = plainGru ? gate(e, recurrentKernel, 0, 2 * u, `${name}/recurrent_kernel_zr`) : recurrentKernel;
  const recH = plainGru ? e.op('Slice', [recurrentKernel, e.int64s(`${name}/h_starts`, [2 * u]), e.int64s(`${name}/h_ends`, [3 * u]), e.int64s(`${name}/h_axes`, [1])], `${name}/recurrent_kernel_h`) : null;
  // zero states [batch, u], the batch taken from the sequence
  const x = e.value(seq, 'keras');
  const batch = e.op('Slice', [e.op('Shape', [x], `${name}/input_shape`), e.int64s(`${name}/batch_start`, [0]), e.int64s(`${name}/batch_end`, [1]), e.int64s(`${name}/batch_axis`, [0])], `${name}/batch`);
  const stateShape = e.op('Concat', [batch, e.int64s(`${name}/units`, [u])], `${name}/state_shape`, { axis: 0 });
  const zeros = e.op('Expand', [e.floats(`${name}/zero`, [0]), stateShape], `${name}/zero_state`);
  const h0 = initial ? initial[0] : zeros;
  const c0 = lstm ? (initial ? initial[1] : zeros) : null;

  const at = `${name}/step`;
  const hIn = e.fresh(`${at}/h`);
  const cIn = lstm ? e.fresh(`${at}/c`) : null;
  const prevIn = e.fresh(`${at}/previous_output`);
  const xIn = e.fresh(`${at}/x`);
  const mIn = maskV === null ? null : e.fresh(`${at}/mask`);
  const outs = { h: e.fresh(`${at}/h_out`), c: lstm ? e.fresh(`${at}/c_out`) : null, prev: e.fresh(`${at}/previous_output_out`), y: e.fresh(`${at}/y`) };
  const act = (t: string, which: Activation, label: string) => {
    const out = e.fresh(`${at}/${label}`);
    emitActivation(e, which, t, 'keras', [null, u], `${at}/${label}`, out);
    return out;
  };
  const body = e.capture(() => {
    const add = (p: string, q: string, label: string) => e.op('Add', [p, q], `${at}/${label}`);
    const mul = (p: string, q: string, label: string) => e.op('Mul', [p, q], `${at}/${label}`);
    let xw = e.op('MatMul', [xIn, kernel], `${at}/input_projection`);
    if (inBias) xw = add(xw, inBias, 'input_projection_bias');
    let hu = e.op('MatMul', [hIn, recZR], `${at}/recurrent_projection`);
    if (recBias) hu = add(hu, recBias, 'recurrent_projection_bias');
    const z = (k: number) => add(gate(e, xw, k, u, `${at}/x_gate${k}`), gate(e, hu, k, u, `${at}/h_gate${k}`), `gate${k}`);
    let h: string;
    let c: string | null = null;
    if (a.cell === 'simple') h = act(add(xw, hu, 'preactivation'), a.activation, 'h');
    else if (lstm) {
      const i = act(z(0), a.recurrentActivation, 'i');
      const f = act(z(1), a.recurrentActivation, 'f');
      const cand = act(z(2), a.activation, 'candidate');
      const o = act(z(3), a.recurrentActivation, 'o');
      c = add(mul(f, cIn!, 'f_c'), mul(i, cand, 'i_candidate'), 'c_new');
      h = mul(o, act(c, a.activation, 'c_activation'), 'h_new');
    } else {
      const zg = act(z(0), a.recurrentActivation, 'z');
      const r = act(z(1), a.recurrentActivation, 'r');
      const xh = gate(e, xw, 2, u, `${at}/x_candidate`);
      const inner = plainGru ? e.op('MatMul', [mul(r, hIn, 'r_h'), recH!], `${at}/r_h_projection`) : mul(r, gate(e, hu, 2, u, `${at}/h_candidate`), 'r_projection');
      const cand = act(add(xh, inner, 'candidate_preactivation'), a.activation, 'candidate');
      // z ⊙ h + (1 − z) ⊙ ĥ
      h = add(mul(zg, hIn, 'z_h'), mul(e.op('Sub', [e.floats(`${at}/one`, [1]), zg], `${at}/one_minus_z`), cand, 'candidate_share'), 'h_new');
    }
    if (mIn === null) {
      e.add('Identity', [h], [outs.h], `${at}/h_out`);
      if (lstm) e.add('Identity', [c!], [outs.c!], `${at}/c_out`);
      e.add('Identity', [h], [outs.prev], `${at}/output`);
    } else {
      const keep = e.op('Cast', [e.op('Reshape', [mIn, e.int64s(`${at}/mask_column`, [-1, 1])], `${at}/mask_column`)], `${at}/keep`, { to: ONNX_DTYPE.bool });
      e.add('Where', [keep, h, hIn], [outs.h], `${at}/h_kept`);
      if (lstm) e.add('Where', [keep, c!, cIn!], [outs.c!], `${at}/c_kept`);
      e.add('Where', [keep, h, a.zeroOutputForMask ? e.floats(`${at}/zero_output`, [0]) : prevIn], [outs.prev], `${at}/output`);
    }
    e.add('Identity', [outs.prev], [outs.y], `${at}/y`);
  });
  const stateIns = [hIn, ...(cIn ? [cIn] : []), prevIn];
  const stateOuts = [outs.h, ...(outs.c ? [outs.c] : []), outs.prev];
  const graph = {
    name: `${name}/step`,
    node: body,
    initializer: [],
    input: [...stateIns.map((t) => floatInfo(t, [null, u])), floatInfo(xIn, [null, a.inFeatures]), ...(mIn ? [floatInfo(mIn, [null])] : [])],
    output: [...stateOuts.map((t) => floatInfo(t, [null, u])), floatInfo(outs.y, [null, u])],
  };
  const finals = { h: e.fresh(`${name}/h`), c: lstm ? e.fresh(`${name}/c`) : null, prev: e.fresh(`${name}/last`), y: e.fresh(`${name}/sequence`) };
  const direction = a.goBackwards ? 1 : 0;
  const scanned = maskV === null ? [x] : [x, e.value(maskV, 'keras')];
  e.add('Scan', [h0, ...(c0 ? [c0] : []), zeros, ...scanned], [finals.h, ...(finals.c ? [finals.c] : []), finals.prev, finals.y], name, {
    body: { graph },
    num_scan_inputs: scanned.length,
    scan_input_axes: scanned.map(() => 1),
    scan_input_directions: scanned.map(() => direction),
    scan_output_axes: [1],
    scan_output_directions: [reverseOutput ? 1 : 0],
  });
  return { sequence: a.returnSequences ? finals.y : null, last: finals.prev, h: finals.h, c: finals.c };
}

export const recurrent: OnnxCodec<'Recurrent'> = {
  emit(node, e) {
    const a = node.attrs;
    warnStateful(e, node, a);
    const seq = node.inputs[0];
    const first = a.hasMask ? 2 : 1;
    const initial = a.initialStates ? node.inputs.slice(first, first + stateCount(a.cell)).map((v) => e.value(v, 'keras')) : null;
    const out = fused(a, a.hasMask)
      ? emitCell(e, node, a, '', timeMajor(e, seq), e.shape(seq)[1], node.name, a.goBackwards, initial)
      : emitScanCell(e, node, a, '', seq, a.hasMask ? node.inputs[1] : null, node.name, false, initial);
    e.define(node.outputs[0], out.sequence ?? out.last, 'keras');
    if (a.returnState) {
      e.define(node.outputs[1], out.h, 'keras');
      if (out.c) e.define(node.outputs[2], out.c, 'keras');
    }
  },
};

/**
 * Bidirectional: each direction is its own single-direction op (so the backward layer may differ
 * from the forward one, as Keras's backward_layer allows). Keras reverses the backward sequence
 * back to input order, which is where ONNX already writes each step's output.
 */
export const bidirectional: OnnxCodec<'Bidirectional'> = {
  emit(node, e) {
    const { forward: f, backward: bw, mergeMode } = node.attrs;
    warnStateful(e, node, f);
    const seq = node.inputs[0];
    const steps = e.shape(seq)[1];
    const masked = node.attrs.hasMask;
    const direction = (a: RecurrentAttrs, prefix: string, backward: boolean) =>
      fused(a, masked)
        ? emitCell(e, node, a, prefix, timeMajor(e, seq), steps, `${node.name}/${prefix.slice(0, -1)}`, backward !== a.goBackwards, null)
        : emitScanCell(e, node, a, prefix, seq, masked ? node.inputs[1] : null, `${node.name}/${prefix.slice(0, -1)}`, backward, null);
    const fo = direction(f, 'forward/', false);
    const bo = direction(bw, 'backward/', true);
    const fy = fo.sequence ?? fo.last;
    const by = bo.sequence ?? bo.last;
    const rank = f.returnSequences ? 3 : 2;
    let merged: string[];
    if (mergeMode === null) merged = [fy, by];
    else if (mergeMode === 'concat') merged = [e.op('Concat', [fy, by], node.name, { axis: rank - 1 })];
    else if (mergeMode === 'sum') merged = [e.op('Add', [fy, by], node.name)];
    else if (mergeMode === 'mul') merged = [e.op('Mul', [fy, by], node.name)];
    // Keras's (forward + backward) / 2
    else merged = [e.op('Div', [e.op('Add', [fy, by], `${node.name}/sum`), e.floats(`${node.name}/two`, [2])], node.name)];
    merged.forEach((t, i) => e.define(node.outputs[i], t, 'keras'));
    if (f.returnState) {
      const states = [fo.h, ...(fo.c ? [fo.c] : []), bo.h, ...(bo.c ? [bo.c] : [])];
      states.forEach((t, i) => e.define(node.outputs[merged.length + i], t, 'keras'));
    }
  },
};

/**
 * TimeDistributed: the inner op's own codec on the input with batch and steps folded into one
 * axis ([batch · steps, ...rest], what the runtime runs it on), then unfolded.
 */
export const timeDistributed: OnnxCodec<'TimeDistributed'> = {
  emit(node, e) {
    const inner = innerNode(node) as Node;
    const codec = codecOf(inner.op as OpType);
    if ('refuse' in codec) throw notRepresentable(node, `the wrapped ${inner.op}`, codec.refuse);
    const input = node.inputs[0];
    const [batch, steps, ...rest] = e.shape(input);
    const outShape = e.shape(node.outputs[0]);
    const outRest = outShape.slice(2);
    if (rest.some((d) => d === null) || outRest.some((d) => d === null)) {
      throw notRepresentable(node, 'an axis of unknown size after the steps axis', 'the per-step input and output shapes must be known to fold batch and steps into one axis');
    }
    if (steps === null && batch === null) {
      throw notRepresentable(node, 'unknown batch size and steps', 'unfolding [batch · steps, ...] needs one of the two known');
    }
    const folded = `${node.name}/folded_input`;
    const foldedOut = `${node.name}/folded_output`;
    const foldedShape: SymShape = [batch === null || steps === null ? null : batch * steps, ...rest];
    const innerOut = opDef(inner.op)!.shapes(inner as never, [foldedShape])[0];
    e.declare(folded, foldedShape);
    e.declare(foldedOut, innerOut);
    const foldedName = e.op('Reshape', [e.value(input, 'keras'), e.int64s(`${node.name}/folded_shape`, [-1, ...(rest as number[])])], `${node.name}/fold`);
    e.define(folded, foldedName, 'keras');
    (codec as OnnxCodec<OpType>).emit({ ...inner, inputs: [folded], outputs: [foldedOut] } as never, e);
    // steps known: [-1, steps, ...]; else the batch is: [batch, -1, ...]
    const unfold = steps !== null ? [-1, steps, ...(outRest as number[])] : [batch as number, -1, ...(outRest as number[])];
    const v = node.outputs[0];
    const out = e.add('Reshape', [e.value(foldedOut, 'keras'), e.int64s(`${node.name}/unfolded_shape`, unfold)], [e.outputName(v, 'keras')], `${node.name}/unfold`);
    e.define(v, out, 'keras');
  },
};

/** Set by index.ts (which imports this module): the codec of an inner op. */
let codecOf: (op: OpType) => OnnxCodec<OpType> | { refuse: string } = () => ({ refuse: 'no codec table' });
export function setInnerCodecLookup(f: typeof codecOf): void {
  codecOf = f;
}

/**
 * Keras masks as float32 0/1 tensors [batch, steps] (1 = a real step), as kconv's runtime holds
 * them: from integer indices (Embedding mask_zero: index ≠ 0), from a sequence (Masking: any
 * feature ≠ mask_value), or combined (and: Mul, or: Max, exact on 0/1).
 */
export const mask: OnnxCodec<'Mask'> = {
  emit(node, e) {
    const a = node.attrs;
    const v = node.outputs[0];
    const out = e.outputName(v, 'keras');
    const at = node.name;
    const differs = (x: string, value: number, elemType: number) => {
      // Equal takes floats from opset 11; integer indices compare as int64 from opset 7
      if (elemType === ONNX_DTYPE.float32) {
        e.require(11, `Equal on floats (mask of '${at}')`);
        return e.op('Not', [e.op('Equal', [x, e.floats(`${at}/mask_value`, [value])], `${at}/equal`)], `${at}/not_equal`);
      }
      const wide = elemType === ONNX_DTYPE.int64 ? x : e.op('Cast', [x], `${at}/to_int64`, { to: ONNX_DTYPE.int64 });
      return e.op('Not', [e.op('Equal', [wide, e.int64s(`${at}/mask_value`, [value])], `${at}/equal`)], `${at}/not_equal`);
    };
    if (a.kind === 'nonzero') {
      const x = node.inputs[0];
      e.add('Cast', [differs(e.value(x, 'keras'), 0, e.elemType(x))], [out], at, { to: ONNX_DTYPE.float32 });
    } else if (a.kind === 'anyNotEqual') {
      const kept = e.op('Cast', [differs(e.value(node.inputs[0], 'keras'), a.value!, ONNX_DTYPE.float32)], `${at}/kept`, { to: ONNX_DTYPE.float32 });
      e.add('ReduceMax', [kept], [out], at, { axes: [2], keepdims: 0 });
    } else {
      const masks = node.inputs.map((m) => e.value(m, 'keras'));
      let acc = masks[0];
      for (let i = 1; i < masks.length; i++) {
        const last = i === masks.length - 1;
        const inputs = [acc, masks[i]];
        const op = a.kind === 'and' ? 'Mul' : 'Max';
        acc = last ? e.add(op, inputs, [out], at) : e.op(op, inputs, `${at}/${i}`);
      }
    }
    e.define(v, out, 'keras');
  },
};

/** Masking's own output: the sequence times its mask (Keras multiplies too). */
export const masking: OnnxCodec<'Masking'> = {
  emit(node, e) {
    const column = e.op('Reshape', [e.value(node.inputs[1], 'keras'), e.int64s(`${node.name}/mask_shape`, [0, -1, 1])], `${node.name}/mask_column`);
    const v = node.outputs[0];
    const out = e.add('Mul', [e.value(node.inputs[0], 'keras'), column], [e.outputName(v, 'keras')], node.name);
    e.define(v, out, 'keras');
  },
};

/**
 * GlobalAveragePooling1D with a mask: Σ x·m / Σ m over the steps, as Keras computes it (a row
 * with every step masked is 0/0 = NaN there too). Both sums are batched MatMuls by the mask row:
 * m·x, and m·mᵀ = Σ m for 0/1 masks (ReduceSum's form changed at opset 13).
 */
export const maskedGlobalAveragePooling1d: OnnxCodec<'MaskedGlobalAveragePooling1D'> = {
  emit(node, e) {
    const at = node.name;
    const m = e.value(node.inputs[1], 'keras');
    const row = e.op('Reshape', [m, e.int64s(`${at}/mask_row_shape`, [0, 1, -1])], `${at}/mask_row`);
    const column = e.op('Reshape', [m, e.int64s(`${at}/mask_column_shape`, [0, -1, 1])], `${at}/mask_column`);
    const sum = e.op('MatMul', [row, e.value(node.inputs[0], 'keras')], `${at}/masked_sum`);
    const count = e.op('MatMul', [row, column], `${at}/count`);
    const v = node.outputs[0];
    const out = e.outputName(v, 'keras');
    if (node.attrs.keepDims) e.add('Div', [sum, count], [out], at);
    else e.add('Reshape', [e.op('Div', [sum, count], `${at}/mean`), e.int64s(`${at}/flat_shape`, [0, -1])], [out], at);
    e.define(v, out, 'keras');
  },
};
