/**
 * Attention / AdditiveAttention and MultiHeadAttention as MatMul / Softmax subgraphs in Keras's
 * layout, with Keras's own steps (src/runtime/kernels/attention.ts is the reference): scores, a
 * causal mask as Keras applies it (1e9 subtracted from the scores of later key steps before the
 * softmax, so their probability is exactly 0), softmax over the key steps, the weighted sum of the
 * values. MultiHeadAttention's einsum kernels are stored viewed as matrices ([features, heads ·
 * dim], same row-major elements), the heads split by Reshape/Transpose, the query scaled by
 * 1/sqrt(key_dim) before the scores as Keras does.
 */
import type { NodeOfAny, OnnxCodec } from '../codec.js';
import { notRepresentable, type OnnxEmitter } from '../emitter.js';

/** Keras's masking constant: subtracted from masked scores before the softmax. */
const MASKED = 1e9;

/** The [Tq, Tv] constant Keras's causal mask subtracts (key step j > query step i), which needs both lengths. */
function causalBias(node: NodeOfAny<'Attention' | 'MultiHeadAttention'>, e: OnnxEmitter, tq: number | null, tv: number | null): string {
  if (tq === null || tv === null) throw notRepresentable(node, 'use_causal_mask', 'the query or key length is known only at run time, and kconv writes the causal mask as a constant [Tq, Tv] matrix');
  const values: number[] = [];
  for (let i = 0; i < tq; i++) for (let j = 0; j < tv; j++) values.push(j <= i ? 0 : -MASKED);
  return e.floats(`${node.name}/causal_mask`, values, [tq, tv]);
}

export const attention: OnnxCodec<'Attention'> = {
  emit(node, e) {
    const a = node.attrs;
    const at = node.name;
    const [qv, vv, kv] = node.inputs;
    const q = e.value(qv, 'keras');
    const value = e.value(vv, 'keras');
    const k = e.value(kv, 'keras');
    const d = e.shape(qv)[2];
    let scores: string;
    if (a.scoreMode === 'dot') {
      scores = e.op('MatMul', [q, e.op('Transpose', [k], `${at}/key_transposed`, { perm: [0, 2, 1] })], `${at}/scores`);
      if (a.useScale) scores = e.op('Mul', [scores, e.weight(node, 'scale')], `${at}/scaled_scores`);
    } else {
      if (d === null) throw notRepresentable(node, `score_mode '${a.scoreMode}'`, 'the query features are unknown');
      // query [B, Tq, 1, d] + key [B, 1, Tv, d], summed over d
      const q4 = e.op('Reshape', [q, e.int64s(`${at}/query_shape`, [0, 0, 1, d])], `${at}/query_expanded`);
      const k4 = e.op('Reshape', [k, e.int64s(`${at}/key_shape`, [0, 1, -1, d])], `${at}/key_expanded`);
      let sum = e.op('Add', [q4, k4], `${at}/query_plus_key`);
      if (a.scoreMode === 'concat' && a.useScale) sum = e.op('Mul', [sum, e.weight(node, 'scale')], `${at}/scaled`);
      let t = e.op('Tanh', [sum], `${at}/tanh`);
      if (a.scoreMode === 'additive' && a.useScale) t = e.op('Mul', [t, e.weight(node, 'scale')], `${at}/scaled_tanh`);
      scores = e.op('ReduceSum', [t, e.int64s(`${at}/feature_axis`, [3])], `${at}/scores`, { keepdims: 0 });
      if (a.scoreMode === 'concat') scores = e.op('Mul', [scores, e.weight(node, 'concat_score_weight')], `${at}/weighted_scores`);
    }
    if (a.causal) scores = e.op('Add', [scores, causalBias(node, e, e.shape(qv)[1], e.shape(kv)[1] ?? e.shape(vv)[1])], `${at}/causal_masked`);
    const v = node.outputs[0];
    const out = e.outputName(v, 'keras');
    if (a.returns === 'scores') e.add('Softmax', [scores], [out], at, { axis: 2 });
    else e.add('MatMul', [e.op('Softmax', [scores], `${at}/weights`, { axis: 2 }), value], [out], at);
    e.define(v, out, 'keras');
  },
};

export const multiHeadAttention: OnnxCodec<'MultiHeadAttention'> = {
  emit(node, e) {
    const a = node.attrs;
    const at = node.name;
    const [qv, vv, kv] = node.inputs;
    const H = a.heads;
    /** x [B, T, F] · kernel [F, H·dim] (+ bias) → [B, H, T, dim] (or [B, H, dim, T] when `keyLayout`). */
    const heads = (v: string, p: 'query' | 'key' | 'value', features: number, dim: number, keyLayout: boolean) => {
      let y = e.op('MatMul', [e.value(v, 'keras'), e.weightAs(node, `${p}_kernel`, { dims: [features, H * dim] })], `${at}/${p}_projection`);
      if (a.useBias) y = e.op('Add', [y, e.weightAs(node, `${p}_bias`, { dims: [H * dim] })], `${at}/${p}_biased`);
      const split = e.op('Reshape', [y, e.int64s(`${at}/${p}_heads_shape`, [0, 0, H, dim])], `${at}/${p}_heads`);
      return e.op('Transpose', [split], `${at}/${p}_head_major`, { perm: keyLayout ? [0, 2, 3, 1] : [0, 2, 1, 3] });
    };
    let q = heads(qv, 'query', a.queryFeatures, a.keyDim, false);
    // the float32 1/sqrt(key_dim) Keras multiplies the projected query by
    q = e.op('Mul', [q, e.floats(`${at}/inverse_sqrt_key_dim`, [1 / Math.sqrt(a.keyDim)])], `${at}/query_scaled`);
    const kT = heads(kv, 'key', a.keyFeatures, a.keyDim, true);
    let scores = e.op('MatMul', [q, kT], `${at}/scores`);
    if (a.causal) scores = e.op('Add', [scores, causalBias(node, e, e.shape(qv)[1], e.shape(kv)[1] ?? e.shape(vv)[1])], `${at}/causal_masked`);
    const v = node.outputs[0];
    const out = e.outputName(v, 'keras');
    if (a.returns === 'scores') {
      e.add('Softmax', [scores], [out], at, { axis: 3 });
      // The scores do not depend on the value and output projections; their weights are still
      // stored (shared with the call's output node when it has one), so none is dropped.
      e.weightAs(node, 'value_kernel', { dims: [a.valueFeatures, H * a.valueDim] });
      e.weightAs(node, 'output_kernel', { dims: [H * a.valueDim, a.outputDim] });
      if (a.useBias) {
        e.weightAs(node, 'value_bias', { dims: [H * a.valueDim] });
        e.weight(node, 'output_bias');
      }
    } else {
      const probs = e.op('Softmax', [scores], `${at}/weights`, { axis: 3 });
      const context = e.op('MatMul', [probs, heads(vv, 'value', a.valueFeatures, a.valueDim, false)], `${at}/context`);
      const merged = e.op('Reshape', [e.op('Transpose', [context], `${at}/context_step_major`, { perm: [0, 2, 1, 3] }), e.int64s(`${at}/context_shape`, [0, 0, H * a.valueDim])], `${at}/context_merged`);
      const projected = e.op('MatMul', [merged, e.weightAs(node, 'output_kernel', { dims: [H * a.valueDim, a.outputDim] })], `${at}/output_projection`);
      if (a.useBias) e.add('Add', [projected, e.weight(node, 'output_bias')], [out], at);
      else e.add('Identity', [projected], [out], at);
    }
    e.define(v, out, 'keras');
  },
};
