/**
 * Bidirectional: a recurrent layer run forwards and backwards over the sequence, the backward
 * output reversed back into input order, then merged (Keras `merge_mode`). Each direction has the
 * attributes of a Recurrent op; weight roles are the direction's prefixed `forward/` and
 * `backward/`. Inputs: sequence [, mask]. Outputs: the merged output (two with mergeMode null),
 * then with returnState the forward states, then the backward states.
 */
import type { OpDef, SymShape } from './define.js';
import { nodeError, noExtraWeights } from './check.js';
import { checkCell, checkMask, sequenceInput, stateCount, type RecurrentAttrs } from './recurrent.js';

export type BidirectionalMerge = 'concat' | 'sum' | 'mul' | 'ave' | null;

export interface BidirectionalAttrs {
  forward: RecurrentAttrs;
  backward: RecurrentAttrs;
  mergeMode: BidirectionalMerge;
  hasMask: boolean;
}

export const Bidirectional: OpDef<BidirectionalAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    if (![null, 'concat', 'sum', 'mul', 'ave'].includes(a.mergeMode)) throw nodeError(node, 'mergeMode', `expected concat, sum, mul, ave or null, found ${JSON.stringify(a.mergeMode)}`);
    const roles = [...checkCell(graph, node, a.forward, 'forward.'), ...checkCell(graph, node, a.backward, 'backward.')];
    noExtraWeights(node, roles);
    if (a.forward.returnSequences !== a.backward.returnSequences || a.forward.returnState !== a.backward.returnState) {
      throw nodeError(node, 'backward', 'the two directions must agree on returnSequences and returnState');
    }
    if (a.mergeMode !== 'concat' && a.mergeMode !== null && a.forward.units !== a.backward.units) {
      throw nodeError(node, 'mergeMode', `${a.mergeMode} needs both directions to have the same units, found ${a.forward.units} and ${a.backward.units}`);
    }
  },
  shapes(node, inputs) {
    const a = node.attrs;
    const seq = sequenceInput(node, inputs, a.forward.inFeatures);
    if (inputs.length !== (a.hasMask ? 2 : 1)) throw nodeError(node, 'inputs', `expected ${a.hasMask ? 'a sequence and a mask' : 'one sequence'}, found ${inputs.length} inputs`);
    if (a.hasMask) checkMask(node, inputs, seq);
    const [batch, steps] = seq;
    const shape = (u: number): SymShape => (a.forward.returnSequences ? [batch, steps, u] : [batch, u]);
    const out: SymShape[] =
      a.mergeMode === null ? [shape(a.forward.units), shape(a.backward.units)] : [shape(a.mergeMode === 'concat' ? a.forward.units + a.backward.units : a.forward.units)];
    if (a.forward.returnState) {
      for (let i = 0; i < stateCount(a.forward.cell); i++) out.push([batch, a.forward.units]);
      for (let i = 0; i < stateCount(a.backward.cell); i++) out.push([batch, a.backward.units]);
    }
    return out;
  },
  impliedInput: (a) => ({ shape: [null, a.forward.inFeatures], batchSize: null, dtype: 'float32' }),
  outputCount: (a) => (a.mergeMode === null ? 2 : 1) + (a.forward.returnState ? stateCount(a.forward.cell) + stateCount(a.backward.cell) : 0),
};
