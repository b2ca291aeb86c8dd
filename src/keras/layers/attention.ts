/**
 * The attention layers' Keras codec: MultiHeadAttention, Attention and AdditiveAttention of every
 * generation (tf.keras 2.x, tf_keras, Keras 3), their weights (named differently by each) and their
 * call arguments (value/key given by keyword in Keras 2, use_causal_mask and
 * return_attention_scores at call time). docs/layers-attention.md has the formulas.
 */
import { KconvError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { Config, ConfigReader } from '../config-values.js';
import { isTensorValue, type CallValue, type NodeCall, type TensorRef } from '../node-calls.js';
import { refuse } from '../targets.js';
import { codec, mapped, WeightList, type CallPlan, type MappedLayer, type PlannedNode } from './codec.js';

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

/** How a call's arguments bind to a signature's parameter names (positionally, then by keyword). */
export function bindCall(call: NodeCall, params: string[], what: string, where: string): Record<string, CallValue> {
  if (call.args.length > params.length) throw new KconvError('BAD_CONFIG', `${what} takes at most ${params.length} positional arguments, the call has ${call.args.length}`, { where });
  const out: Record<string, CallValue> = {};
  call.args.forEach((a, i) => (out[params[i]] = a));
  for (const [k, v] of Object.entries(call.kwargs)) out[k] = v;
  return out;
}

function tensorOf(v: CallValue | undefined, what: string, where: string): TensorRef {
  if (v === undefined || !isTensorValue(v)) throw new KconvError('BAD_CONFIG', `expected the ${what} to be a tensor of the model, found ${JSON.stringify(v)?.slice(0, 80)}`, { where });
  return v.tensor;
}

function flag(v: CallValue | undefined, what: string, where: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new KconvError('BAD_CONFIG', `expected ${what} to be true or false, found ${JSON.stringify(v)}`, { where });
  return v;
}

function noMask(args: Record<string, CallValue>, keys: string[], where: string): void {
  for (const k of keys) {
    const v = args[k];
    // Keras 3.0-3.2 record `mask: [null, null]` when there is none
    const none = v === undefined || v === null || (Array.isArray(v) && v.every((x) => x === null));
    if (!none) throw new KconvError('UNSUPPORTED_FEATURE', `attention called with ${k} (an explicit mask tensor) is not implemented`, { where: `${where}.${k}` });
  }
}

/** The output node, and the scores node when the call returns the attention scores. */
function attentionNodes(layer: MappedLayer, inputs: TensorRef[], causal: boolean, scores: boolean): CallPlan {
  const attrs = { ...(layer.attrs as object), causal };
  const nodes: PlannedNode[] = [{ op: layer.op, suffix: '', inputs: [{ call: 0 }, { call: 1 }, { call: 2 }], attrs: { ...attrs, returns: 'output' }, weights: layer.weights, output: 0 }];
  if (scores) nodes.push({ op: layer.op, suffix: 'scores', inputs: [{ call: 0 }, { call: 1 }, { call: 2 }], attrs: { ...attrs, returns: 'scores' }, weights: layer.weights, output: 1 });
  return { inputs, nodes };
}

function outputDimOf(cfg: ConfigReader, fallback: number): number | null {
  let v = cfg.config.output_shape;
  if (v === undefined || v === null) return null;
  if (typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as Config).items)) v = (v as Config).items;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.length === 1 && Number.isInteger(v[0])) return v[0] as number;
  throw new KconvError('UNSUPPORTED_FEATURE', `MultiHeadAttention output_shape ${JSON.stringify(v)} (more than one output axis) is not implemented (expected ${fallback})`, { where: `${cfg.where}.output_shape` });
}

function readMha(cfg: ConfigReader, w: WeightList): MappedLayer<'MultiHeadAttention'> {
  const heads = cfg.int('num_heads');
  const keyDim = cfg.int('key_dim');
  const valueDim = cfg.has('value_dim') ? cfg.int('value_dim') : keyDim;
  const useBias = cfg.bool('use_bias', true);
  const axes = cfg.config.attention_axes;
  if (axes !== undefined && axes !== null && !(Array.isArray(axes) && axes.length === 1 && (axes[0] === 1 || axes[0] === -2))) {
    throw new KconvError('UNSUPPORTED_FEATURE', `MultiHeadAttention attention_axes ${JSON.stringify(axes)} (only the steps axis is implemented)`, { where: `${cfg.where}.attention_axes` });
  }
  const ids = identifyMhaWeights(w.stored.map((s) => s.name), cfg.where);
  const weights: Record<string, Tensor> = {};
  w.stored.forEach((s) => {
    const id = ids.get(s.name)!;
    weights[`${id.projection}_${id.role}`] = s.tensor;
  });
  const expected = useBias ? 8 : 4;
  if (Object.keys(weights).length !== expected || w.stored.length !== expected) {
    throw new KconvError('BAD_WEIGHTS', `MultiHeadAttention: expected ${expected} weights (query/key/value/output kernel${useBias ? ' and bias' : ''}), found [${w.stored.map((s) => s.name).join(', ')}]`, { where: cfg.where });
  }
  const dim = (role: string, axis: number) => {
    const t = weights[role];
    if (!t || t.shape.length !== 3) throw new KconvError('BAD_WEIGHTS', `MultiHeadAttention ${role}: expected a 3-D einsum kernel, found [${t?.shape}]`, { where: cfg.where });
    return t.shape[axis];
  };
  const outputDim = dim('output_kernel', 2);
  const declared = outputDimOf(cfg, outputDim);
  if (declared !== null && declared !== outputDim) throw new KconvError('BAD_WEIGHTS', `MultiHeadAttention output_shape ${declared} but the output kernel has ${outputDim}`, { where: cfg.where });
  return mapped(
    'MultiHeadAttention',
    { heads, keyDim, valueDim, outputDim, queryFeatures: dim('query_kernel', 0), keyFeatures: dim('key_kernel', 0), valueFeatures: dim('value_kernel', 0), useBias, causal: false, returns: 'output' },
    weights,
  );
}

function readAttention(className: string, cfg: ConfigReader, w: WeightList): MappedLayer<'Attention'> {
  const additive = className === 'AdditiveAttention';
  const scoreMode = additive ? 'additive' : cfg.oneOf('score_mode', ['dot', 'concat'], 'dot');
  const useScale = cfg.bool('use_scale', additive);
  const roles = [...(useScale ? ['scale'] : []), ...(scoreMode === 'concat' ? ['concat_score_weight'] : [])];
  // by name where the file names them (Keras 2 `scale:0`), else in creation order (scale first)
  const stored = [...w.stored].sort((a, b) => (a.name.includes('concat_score_weight') ? 1 : 0) - (b.name.includes('concat_score_weight') ? 1 : 0));
  const taken = new WeightList(stored, className, { generation: 'keras3', backend: 'tensorflow', where: cfg.where }).byRole(roles);
  // Keras 2's deprecated constructor argument `causal` (use_causal_mask at call time since TF 2.10)
  return mapped('Attention', { scoreMode, useScale, causal: cfg.bool('causal', false), returns: 'output' }, taken);
}

const MHA_PARAMS: Record<'keras2' | 'keras3', string[]> = {
  keras2: ['query', 'value', 'key', 'attention_mask', 'return_attention_scores', 'training', 'use_causal_mask'],
  keras3: ['query', 'value', 'key', 'query_mask', 'value_mask', 'key_mask', 'attention_mask', 'return_attention_scores', 'training', 'use_causal_mask'],
};

export const attentionCodec = codec({
  readOnly: 'writing attention layers is not implemented yet',
  classes: ['MultiHeadAttention', 'Attention', 'AdditiveAttention'],
  ops: ['MultiHeadAttention', 'Attention'],
  read(className, cfg, w) {
    return className === 'MultiHeadAttention' ? readMha(cfg, w) : readAttention(className, cfg, w);
  },
  planCall(layer, call, ctx) {
    if (layer.op === 'MultiHeadAttention') {
      const a = bindCall(call, MHA_PARAMS[ctx.generation === 'keras3' ? 'keras3' : 'keras2'], 'MultiHeadAttention', ctx.where);
      noMask(a, ['attention_mask', 'query_mask', 'value_mask', 'key_mask'], ctx.where);
      const q = tensorOf(a.query, 'query', ctx.where);
      const v = tensorOf(a.value, 'value', ctx.where);
      const k = a.key === undefined || a.key === null ? v : tensorOf(a.key, 'key', ctx.where);
      return attentionNodes(layer, [q, v, k], flag(a.use_causal_mask, 'use_causal_mask', ctx.where), flag(a.return_attention_scores, 'return_attention_scores', ctx.where));
    }
    const a = bindCall(call, ['inputs', 'mask', 'training', 'return_attention_scores', 'use_causal_mask'], 'Attention', ctx.where);
    noMask(a, ['mask'], ctx.where);
    const list = a.inputs;
    if (!Array.isArray(list) || list.length < 2 || list.length > 3) {
      throw new KconvError('BAD_CONFIG', `expected Attention to be called on [query, value] or [query, value, key], found ${JSON.stringify(list)?.slice(0, 80)}`, { where: ctx.where });
    }
    const [q, v, k] = list.map((x, i) => tensorOf(x, ['query', 'value', 'key'][i], ctx.where));
    const causal = (layer.attrs as { causal: boolean }).causal || flag(a.use_causal_mask, 'use_causal_mask', ctx.where);
    return attentionNodes(layer, [q, v, k ?? v], causal, flag(a.return_attention_scores, 'return_attention_scores', ctx.where));
  },
  write: {
    MultiHeadAttention: (node) => notWritten(node.name, 'MultiHeadAttention'),
    Attention: (node) => notWritten(node.name, 'Attention'),
  },
  check(node, target) {
    refuse(node, target, `${node.keras?.className ?? node.op} (kconv reads and runs it; writing it is not implemented yet)`, {});
  },
});

function notWritten(name: string, op: string): never {
  throw new KconvError('NOT_REPRESENTABLE', `layer '${name}' (${op}): writing it is not implemented yet`, { where: name });
}
