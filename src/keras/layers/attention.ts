/**
 * Keras codec facts shared by the attention layers (MultiHeadAttention, Attention,
 * AdditiveAttention): which stored weight is which. docs/layers-attention.md has the formulas.
 */
import { KconvError } from '../../errors.js';

export type MhaProjection = 'query' | 'key' | 'value' | 'output';
export interface MhaWeightId {
  projection: MhaProjection;
  role: 'kernel' | 'bias';
}

/** Sub-layer names of the four projections: Keras 2 / tf_keras, Keras 3.0-3.2 (`_query_dense`), Keras 3.3+. */
const PROJECTIONS: Record<string, MhaProjection> = {
  query: 'query',
  key: 'key',
  value: 'value',
  attention_output: 'output',
  _query_dense: 'query',
  _key_dense: 'key',
  _value_dense: 'value',
  _output_dense: 'output',
  query_dense: 'query',
  key_dense: 'key',
  value_dense: 'value',
  output_dense: 'output',
};

/**
 * Names every stored MultiHeadAttention weight: `mha/query/kernel:0` (tf.keras), `query/kernel`
 * (Keras 3 legacy h5), `_query_dense/vars/0` (Keras 3.0/3.2 .keras), `query_dense/vars/1` (3.3+).
 * `vars/0` is the kernel and `vars/1` the bias (EinsumDense creates them in that order).
 */
export function identifyMhaWeights(names: string[], where: string): Map<string, MhaWeightId> {
  const out = new Map<string, MhaWeightId>();
  for (const name of names) {
    const parts = name.replace(/\\/g, '/').replace(/:\d+$/, '').split('/');
    const p = parts.map((s) => PROJECTIONS[s]).filter((x) => x !== undefined).pop();
    const leaf = parts[parts.length - 1];
    const role = parts[parts.length - 2] === 'vars' ? (['kernel', 'bias'] as const)[Number(leaf)] : leaf === 'kernel' || leaf === 'bias' ? leaf : undefined;
    if (!p || !role) {
      throw new KconvError('BAD_CONFIG', `expected a MultiHeadAttention query/key/value/output kernel or bias, found weight '${name}'`, { where });
    }
    out.set(name, { projection: p, role });
  }
  return out;
}
