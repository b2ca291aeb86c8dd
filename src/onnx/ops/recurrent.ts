/**
 * Recurrent layers: LSTM, GRU and SimpleRNN → ONNX `LSTM`, `GRU`, `RNN` (opset 7 forms, time-major
 * `layout` 0); Bidirectional → one such op per direction, merged as Keras merges; TimeDistributed →
 * the inner op's codec on [batch · steps, ...]. docs/onnx.md § Recurrent layers has the mapping.
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
 *
 * Refused by name: Keras masks (ONNX's sequence_lens only cuts steps off the end of each row, a
 * Keras mask may drop any step) and activations ONNX's recurrent ops do not have.
 */
import type { Node } from '../../ir/graph.js';
import { type Activation, type OpType, opDef } from '../../ir/ops/index.js';
import { GATES, type RecurrentAttrs, stateCount } from '../../ir/ops/recurrent.js';
import { innerNode } from '../../ir/ops/time-distributed.js';
import type { Dim, SymShape } from '../../ir/shapes.js';
import type { OnnxCodec } from '../codec.js';
import { type AttrValue, floats, layerName, notRepresentable, type OnnxEmitter } from '../emitter.js';

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
 * kconv's runtime parameters, or NOT_REPRESENTABLE naming the option (Softplus and ThresholdedRelu
 * too: see below).
 */
function rnnActivation(node: Node, act: Activation, option: string): RnnActivation {
  switch (act.fn) {
    case 'sigmoid':
      return { name: 'Sigmoid' };
    case 'tanh':
      return { name: 'Tanh' };
    case 'linear':
      return { name: 'Affine', alpha: 1, beta: 0 };
    case 'softsign':
      return { name: 'Softsign' };
    case 'softplus':
      // ONNX's Softplus is Keras's function, but onnxruntime's recurrent ops compute it as
      // log(1 + exp(x)) in float32: infinity from x ≈ 89 on, where Keras gives x.
      throw notRepresentable(node, `${option} "softplus"`, "onnxruntime's LSTM/GRU/RNN Softplus overflows to infinity for inputs above about 88, where Keras's softplus returns the input; the export would not run as Keras does");
    case 'hard_sigmoid':
      // clip(alpha·x + 0.5, 0, 1): the slope the file's generation uses (0.2 Keras 1/2, 1/6 Keras 3)
      return { name: 'HardSigmoid', alpha: act.alpha ?? 0.2, beta: 0.5 };
    case 'leaky_relu':
      return { name: 'LeakyRelu', alpha: act.alpha ?? 0.3 };
    case 'elu':
      return { name: 'Elu', alpha: act.alpha ?? 1 };
    case 'thresholded_relu':
      // the recurrent ops define ThresholdedRelu as x >= alpha ? x : 0; Keras keeps x only when x > theta
      throw notRepresentable(node, `${option} "thresholded_relu"`, "ONNX's recurrent ThresholdedRelu keeps x = alpha, Keras's zeroes it");
    case 'relu':
      if ((act.maxValue ?? null) === null && !act.threshold) return act.alpha ? { name: 'LeakyRelu', alpha: act.alpha } : { name: 'Relu' };
      break;
    default:
      break;
  }
  throw notRepresentable(
    node,
    `${option} ${JSON.stringify(act.fn)}${act.fn === 'relu' ? ' with max_value or threshold' : ''}`,
    "ONNX's LSTM/GRU/RNN apply only Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign and Softplus",
  );
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

/** The functions of one direction in ONNX's order: LSTM f, g, h; GRU f, g; RNN f. */
function cellActivations(node: Node, a: RecurrentAttrs): RnnActivation[] {
  const act = rnnActivation(node, a.activation, 'activation');
  if (a.cell === 'simple') return [act];
  const gate = rnnActivation(node, a.recurrentActivation, 'recurrent_activation');
  return a.cell === 'lstm' ? [gate, act, act] : [gate, act];
}

/** Refusals shared by Recurrent and Bidirectional. */
function checkRepresentable(node: Node, hasMask: boolean): void {
  if (hasMask) {
    throw notRepresentable(
      node,
      'a Keras mask (Embedding mask_zero / Masking)',
      "ONNX's LSTM/GRU/RNN take sequence_lens, which skips only the steps after each row's length; a Keras mask may skip any step (the state is carried and the previous output repeated), so its result cannot be written with these ops",
    );
  }
}

function warnStateful(e: OnnxEmitter, node: Node, a: RecurrentAttrs): void {
  if (!a.stateful) return;
  const w = `layer '${layerName(node)}' (${node.keras?.className ?? node.op}) is stateful: the ONNX model runs every call from the zero state (or the initial states given as inputs), as kconv does; it does not carry states from one call to the next`;
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
  /** [batch, units]: the last output, which is also the final h. */
  last: string;
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
  const attrs: Record<string, AttrValue> = { hidden_size: u, direction: a.goBackwards ? 'reverse' : 'forward', ...activationAttrs(cellActivations(node, a)) };
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
  return { sequence, last: batchRows(yh, 'last_h'), c: yc ? batchRows(yc, 'last_c') : null };
}

export const recurrent: OnnxCodec<'Recurrent'> = {
  emit(node, e) {
    const a = node.attrs;
    checkRepresentable(node, a.hasMask);
    warnStateful(e, node, a);
    const seq = node.inputs[0];
    const initial = a.initialStates ? node.inputs.slice(1, 1 + stateCount(a.cell)).map((v) => e.value(v, 'keras')) : null;
    const out = emitCell(e, node, a, '', timeMajor(e, seq), e.shape(seq)[1], node.name, a.goBackwards, initial);
    e.define(node.outputs[0], out.sequence ?? out.last, 'keras');
    if (a.returnState) {
      e.define(node.outputs[1], out.last, 'keras');
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
    checkRepresentable(node, node.attrs.hasMask);
    warnStateful(e, node, f);
    const seq = node.inputs[0];
    const x = timeMajor(e, seq);
    const steps = e.shape(seq)[1];
    const fo = emitCell(e, node, f, 'forward/', x, steps, `${node.name}/forward`, f.goBackwards, null);
    const bo = emitCell(e, node, bw, 'backward/', x, steps, `${node.name}/backward`, !bw.goBackwards, null);
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
      const states = [fo.last, ...(fo.c ? [fo.c] : []), bo.last, ...(bo.c ? [bo.c] : [])];
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

/** Keras masks themselves: refused where they feed a recurrent layer (above), not written yet elsewhere. */
function maskNotYet<K extends OpType>(what: string): OnnxCodec<K> {
  return {
    emit(node, e) {
      const rnn = maskedRecurrentConsumer(e, node as Node);
      if (rnn) checkRepresentable(rnn, true);
      throw notRepresentable(node as Node, what, "kconv's ONNX writer does not export it yet (the Keras writers and the runtime do)");
    },
  };
}

/** A Recurrent/Bidirectional node whose mask derives from `node`'s outputs (through mask combinations), or null. */
function maskedRecurrentConsumer(e: OnnxEmitter, node: Node): Node | null {
  const masks = new Set(node.op === 'Mask' ? node.outputs : []);
  for (const n of e.graph.nodes) {
    if (n.op === 'Mask' && n.inputs.some((v) => masks.has(v))) n.outputs.forEach((v) => masks.add(v));
    if ((n.op === 'Recurrent' || n.op === 'Bidirectional') && n.attrs.hasMask && masks.has(n.inputs[1])) return n;
  }
  return null;
}

export const mask = maskNotYet<'Mask'>('a Keras mask (Embedding mask_zero / Masking)');
export const masking = maskNotYet<'Masking'>('a Masking layer');
export const maskedGlobalAveragePooling1d = maskNotYet<'MaskedGlobalAveragePooling1D'>('a masked GlobalAveragePooling1D');
