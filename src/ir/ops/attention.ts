/**
 * Attention (Keras `Attention`, Luong: dot or concat scores) and AdditiveAttention (Bahdanau):
 * one op, `scoreMode` 'dot' | 'concat' | 'additive'. Inputs [query, value, key]; the node yields
 * the output (batch, Tq, value features) or, with `returns: 'scores'`, the attention weights
 * (batch, Tq, Tv). weights: `scale` ([] for dot/concat, [features] for additive) when useScale,
 * `concat_score_weight` ([]) for concat. docs/layers-attention.md has the computation.
 */
import { bool, fmt, nodeError, noExtraWeights, weight } from './check.js';
import type { OpDef } from './define.js';
import { expectInputs, expectRank } from './dims.js';

export interface AttentionAttrs {
  scoreMode: 'dot' | 'concat' | 'additive';
  useScale: boolean;
  /** Query step i attends to value steps j <= i (Keras `use_causal_mask=True`, or Keras 2's `causal`). */
  causal: boolean;
  returns: 'output' | 'scores';
}

export const Attention: OpDef<AttentionAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    if (!['dot', 'concat', 'additive'].includes(a.scoreMode)) throw nodeError(node, 'scoreMode', `expected 'dot', 'concat' or 'additive', found ${JSON.stringify(a.scoreMode)}`);
    bool(node, 'useScale', a.useScale);
    bool(node, 'causal', a.causal);
    if (a.returns !== 'output' && a.returns !== 'scores') throw nodeError(node, 'returns', `expected 'output' or 'scores', found ${JSON.stringify(a.returns)}`);
    const roles: string[] = [];
    if (a.useScale) {
      weight(graph, node, 'scale', a.scoreMode === 'additive' ? null : []);
      roles.push('scale');
    }
    if (a.scoreMode === 'concat') {
      weight(graph, node, 'concat_score_weight', []);
      roles.push('concat_score_weight');
    }
    noExtraWeights(node, roles);
  },
  shapes(node, inputs) {
    expectInputs(node, inputs, 3);
    inputs.forEach((s, i) => expectRank(node, s, 3, i));
    const [q, v, k] = inputs;
    if (q[2] !== null && k[2] !== null && q[2] !== k[2]) throw nodeError(node, 'inputs', `query and key should have the same features, found ${fmt(q)} and ${fmt(k)}`);
    if (v[1] !== null && k[1] !== null && v[1] !== k[1]) throw nodeError(node, 'inputs', `value and key should have the same steps, found ${fmt(v)} and ${fmt(k)}`);
    return node.attrs.returns === 'scores' ? [[q[0], q[1], v[1] ?? k[1]]] : [[q[0], q[1], v[2]]];
  },
};
