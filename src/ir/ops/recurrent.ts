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
import type { Activation } from './common.js';

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
  /** Keras `stateful`: kconv runs every call from the zero state (or the given initial state) and warns. */
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

/**
 * Output shapes (without batch) from the sequence input's shape (without batch): null stays
 * unknown (a `None` steps axis).
 */
export function recurrentOutputShapes(a: RecurrentAttrs, input: (number | null)[]): (number | null)[][] {
  const steps = input[0];
  const out: (number | null)[][] = [a.returnSequences ? [steps, a.units] : [a.units]];
  if (a.returnState) for (let i = 0; i < stateCount(a.cell); i++) out.push([a.units]);
  return out;
}
