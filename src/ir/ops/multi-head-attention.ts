/**
 * MultiHeadAttention (Keras) over the steps axis. Inputs [query, value, key]; the node yields the
 * attention output (batch, Tq, outputDim) or, with `returns: 'scores'`, the attention weights
 * (batch, heads, Tq, Tv): a call returning both becomes two nodes over the same weights.
 * weights (Keras's einsum layouts): query_kernel [Fq, heads, keyDim], query_bias [heads, keyDim],
 * key_kernel [Fk, heads, keyDim], key_bias, value_kernel [Fv, heads, valueDim], value_bias,
 * output_kernel [heads, valueDim, outputDim], output_bias [outputDim]; no biases without useBias.
 * docs/layers-attention.md has the computation.
 */
import { bool, fmt, nodeError, noExtraWeights, positiveInt, weight } from './check.js';
import type { OpDef } from './define.js';
import { expectInputs, expectRank } from './dims.js';

export interface MultiHeadAttentionAttrs {
  heads: number;
  keyDim: number;
  valueDim: number;
  outputDim: number;
  queryFeatures: number;
  keyFeatures: number;
  valueFeatures: number;
  useBias: boolean;
  /** Query step i attends to key steps j <= i (Keras `use_causal_mask=True`). */
  causal: boolean;
  returns: 'output' | 'scores';
}

export const MHA_PROJECTIONS = ['query', 'key', 'value', 'output'] as const;

export const MultiHeadAttention: OpDef<MultiHeadAttentionAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    for (const k of ['heads', 'keyDim', 'valueDim', 'outputDim', 'queryFeatures', 'keyFeatures', 'valueFeatures'] as const) positiveInt(node, k, a[k]);
    bool(node, 'useBias', a.useBias);
    bool(node, 'causal', a.causal);
    if (a.returns !== 'output' && a.returns !== 'scores') throw nodeError(node, 'returns', `expected 'output' or 'scores', found ${JSON.stringify(a.returns)}`);
    const shapes: Record<string, [number[], number[]]> = {
      query: [[a.queryFeatures, a.heads, a.keyDim], [a.heads, a.keyDim]],
      key: [[a.keyFeatures, a.heads, a.keyDim], [a.heads, a.keyDim]],
      value: [[a.valueFeatures, a.heads, a.valueDim], [a.heads, a.valueDim]],
      output: [[a.heads, a.valueDim, a.outputDim], [a.outputDim]],
    };
    const roles: string[] = [];
    for (const p of MHA_PROJECTIONS) {
      weight(graph, node, `${p}_kernel`, shapes[p][0]);
      roles.push(`${p}_kernel`);
      if (a.useBias) {
        weight(graph, node, `${p}_bias`, shapes[p][1]);
        roles.push(`${p}_bias`);
      }
    }
    noExtraWeights(node, roles);
  },
  shapes(node, inputs) {
    expectInputs(node, inputs, 3);
    inputs.forEach((s, i) => expectRank(node, s, 3, i));
    const [q, v, k] = inputs;
    const a = node.attrs;
    const check = (s: (number | null)[], f: number, what: string, i: number) => {
      if (s[2] !== null && s[2] !== f) throw nodeError(node, `inputs[${i}]`, `the ${what} should have ${f} features, found shape ${fmt(s)}`);
    };
    check(q, a.queryFeatures, 'query', 0);
    check(v, a.valueFeatures, 'value', 1);
    check(k, a.keyFeatures, 'key', 2);
    if (v[1] !== null && k[1] !== null && v[1] !== k[1]) throw nodeError(node, 'inputs', `value and key should have the same steps, found ${fmt(v)} and ${fmt(k)}`);
    return a.returns === 'scores' ? [[q[0], a.heads, q[1], v[1] ?? k[1]]] : [[q[0], q[1], a.outputDim]];
  },
};
