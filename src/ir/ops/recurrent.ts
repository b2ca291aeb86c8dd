/**
 * The recurrent ops: LSTM, GRU and SimpleRNN, one attribute set for the three cells.
 *
 * Canonical weights (every Keras generation is mapped onto these by src/keras/layers/recurrent.ts):
 * - kernel [inFeatures, gates · units], recurrent_kernel [units, gates · units], gates in Keras 2's
 *   order: LSTM i, f, c, o (4 gates); GRU z, r, h (3); SimpleRNN one block;
 * - bias [gates · units] when useBias; GRU with resetAfter holds two: bias [2, 3 · units], row 0
 *   added to the input projection, row 1 to the recurrent one (inside r ⊙ (…) for the h gate).
 *
 * Node inputs, in order: the sequence [batch, steps, inFeatures], then the mask [batch, steps] when `hasMask`, then the initial states when
 * `initialStates` (LSTM: h then c; GRU / SimpleRNN: h). Outputs: the sequence of outputs
 * [batch, steps, units] when returnSequences else the last output [batch, units], then the final
 * states when returnState (LSTM: h, c; others: h).
 *
 * Masks follow Keras's backend rnn: at a masked step the states are carried unchanged and the
 * output is the previous output (zeros before the first unmasked step), or zeros when
 * `zeroOutputForMask` (what Bidirectional forces for return_sequences since Keras 2.2.5 / tf.keras).
 */
import type { Graph } from '../graph.js';
import { activation, bool, fmt, nodeError, noExtraWeights, positiveInt, weight } from './check.js';
import type { Activation } from './common.js';
import type { OpDef, OpNode, SymShape } from './define.js';

export type RecurrentCell = 'lstm' | 'gru' | 'simple';

export interface RecurrentAttrs {
  cell: RecurrentCell;
  units: number;
  inFeatures: number;
  /** The candidate / output activation (Keras `activation`, tanh by default). */
  activation: Activation;
  /** The gate activation (Keras `recurrent_activation` / Keras 1 `inner_activation`); unused by SimpleRNN. */
  recurrentActivation: Activation;
  useBias: boolean;
  /** GRU only: apply the reset gate after the recurrent matmul (Keras 2.x tf.keras / Keras 3 default, CuDNNGRU). */
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  /** Keras `stateful`: every call starts from the zero state (or the given initial state), unless the run carries states (Plan.run's `states`, `predict`'s carryState). */
  stateful: boolean;
  zeroOutputForMask: boolean;
  hasMask: boolean;
  initialStates: boolean;
}

export const GATES: Record<RecurrentCell, number> = { lstm: 4, gru: 3, simple: 1 };

/** Number of state tensors a cell carries (LSTM h and c; the others h). */
export function stateCount(cell: RecurrentCell): number {
  return cell === 'lstm' ? 2 : 1;
}

/** Expected weight shapes by role, for validation and writers. */
export function recurrentWeightShapes(a: RecurrentAttrs): Record<string, number[]> {
  const g = GATES[a.cell] * a.units;
  const shapes: Record<string, number[]> = { kernel: [a.inFeatures, g], recurrent_kernel: [a.units, g] };
  if (a.useBias) shapes.bias = a.cell === 'gru' && a.resetAfter ? [2, g] : [g];
  return shapes;
}

const CELLS = ['lstm', 'gru', 'simple'];

/** Checks one direction's attributes and weights (roles prefixed `forward/` etc.); returns its roles. */
export function checkCell(graph: Graph, node: OpNode<unknown>, a: RecurrentAttrs, prefix: string): string[] {
  if (!CELLS.includes(a.cell)) throw nodeError(node, `${prefix}cell`, `expected one of ${CELLS.join(', ')}, found ${JSON.stringify(a.cell)}`);
  positiveInt(node, `${prefix}units`, a.units);
  positiveInt(node, `${prefix}inFeatures`, a.inFeatures);
  activation(node, a.activation, `${prefix}activation`);
  activation(node, a.recurrentActivation, `${prefix}recurrentActivation`);
  for (const k of ['useBias', 'resetAfter', 'goBackwards', 'returnSequences', 'returnState', 'stateful', 'zeroOutputForMask', 'hasMask', 'initialStates'] as const) {
    bool(node, `${prefix}${k}`, a[k]);
  }
  const roles: string[] = [];
  for (const [role, shape] of Object.entries(recurrentWeightShapes(a))) {
    weight(graph, node, `${prefix.replace(/\.$/, '/')}${role}`, shape);
    roles.push(`${prefix.replace(/\.$/, '/')}${role}`);
  }
  return roles;
}

export function sequenceInput(node: OpNode<unknown>, inputs: SymShape[], inFeatures: number): SymShape {
  const s = inputs[0];
  if (!s || s.length !== 3) throw nodeError(node, 'inputs[0]', `expected a sequence [batch, steps, features], found ${s ? fmt(s) : 'nothing'}`);
  if (s[2] !== null && s[2] !== inFeatures) throw nodeError(node, 'inFeatures', `the node expects ${inFeatures} features, the input has shape ${fmt(s)}`);
  return s;
}

export function checkMask(node: OpNode<unknown>, inputs: SymShape[], seq: SymShape): void {
  const m = inputs[1];
  if (!m || m.length !== 2) throw nodeError(node, 'inputs[1]', `expected a mask [batch, steps], found ${m ? fmt(m) : 'nothing'}`);
  if (m[1] !== null && seq[1] !== null && m[1] !== seq[1]) throw nodeError(node, 'inputs[1]', `the mask ${fmt(m)} does not cover the sequence ${fmt(seq)}`);
}

export const Recurrent: OpDef<RecurrentAttrs> = {
  validate(graph, node) {
    noExtraWeights(node, checkCell(graph, node, node.attrs, ''));
  },
  shapes(node, inputs) {
    const a = node.attrs;
    const seq = sequenceInput(node, inputs, a.inFeatures);
    const expected = 1 + (a.hasMask ? 1 : 0) + (a.initialStates ? stateCount(a.cell) : 0);
    if (inputs.length !== expected) throw nodeError(node, 'inputs', `expected ${expected} inputs (sequence${a.hasMask ? ', mask' : ''}${a.initialStates ? ', initial states' : ''}), found ${inputs.length}`);
    if (a.hasMask) checkMask(node, inputs, seq);
    const first = a.hasMask ? 2 : 1;
    for (let i = first; i < inputs.length; i++) {
      const st = inputs[i];
      if (st.length !== 2 || (st[1] !== null && st[1] !== a.units)) throw nodeError(node, `inputs[${i}]`, `expected an initial state [batch, ${a.units}], found ${fmt(st)}`);
    }
    const [batch, steps] = seq;
    const out: SymShape[] = [a.returnSequences ? [batch, steps, a.units] : [batch, a.units]];
    if (a.returnState) for (let i = 0; i < stateCount(a.cell); i++) out.push([batch, a.units]);
    return out;
  },
  impliedInput: (a) => ({ shape: [null, a.inFeatures], batchSize: null, dtype: 'float32' }),
  outputCount: (a) => 1 + (a.returnState ? stateCount(a.cell) : 0),
};

