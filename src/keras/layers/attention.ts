/**
 * The attention layers' Keras codec: MultiHeadAttention, Attention and AdditiveAttention of every
 * generation (tf.keras 2.x, tf_keras, Keras 3), their weights (named differently by each) and their
 * call arguments (value/key given by keyword in Keras 2, use_causal_mask and
 * return_attention_scores at call time). docs/layers-attention.md has the formulas.
 */
import { KconvError } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import { inferDeclaredShapes } from '../../ir/shapes.js';
import type { Tensor } from '../../tensor.js';
import type { Config, ConfigReader } from '../config-values.js';
import type { Json, JsonObject } from '../emit/objects.js';
import { isTensorValue, type CallValue, type NodeCall, type TensorRef } from '../node-calls.js';
import { isKeras3, need, refuse, type Feature, type Target } from '../targets.js';
import { codec, mapped, sourceConfig, weightObjects, WeightList, type CallPlan, type EmitContext, type MappedLayer, type PlannedNode, type WeightGroup, type WrittenCall, type WrittenLayer } from './codec.js';

/**
 * Where the attention layers, as kconv writes them, first load. tf.keras 2.12's wheel has
 * MultiHeadAttention with `use_causal_mask` at call time and Attention/AdditiveAttention with
 * `score_mode` and `use_causal_mask`; older tf.keras releases were not checked (MultiHeadAttention
 * itself appeared in 2.4). Keras 3 limits come from the golden cases (docs/layers-attention.md).
 */
export const ATTENTION_FEATURES = {
  multiHeadAttention: { name: 'MultiHeadAttention', since: { tfkeras: 4, keras3: 0 }, verified: false },
  mhaCausal: { name: 'MultiHeadAttention called with use_causal_mask=True', since: { tfkeras: 12, keras3: 0 }, verified: false },
  attentionLayer: { name: 'Attention / AdditiveAttention (score_mode in the config)', since: { tfkeras: 12, keras3: 0 }, verified: false },
  // Keras 3.0.1 fails on use_causal_mask=True without a padding mask; 3.2.1 runs it
  attentionCausal: { name: 'Attention / AdditiveAttention called with use_causal_mask=True', since: { tfkeras: 12, keras3: 2 }, verified: false },
  // Keras 3.0.1 and 3.2.1 take output_shape from a config neither as an int (it fails inside
  // call) nor as a list (a TrackedList, which call cannot concatenate to a tuple); 3.6.0 fails on
  // the int too; 3.12.0 and 3.15.1 load it (3.7-3.11 not checked)
  mhaOutputShape: { name: 'MultiHeadAttention output_shape other than the query width', since: { tfkeras: 4, keras3: 12 }, verified: false },
  // Keras 3.0.1 and 3.2.1 refuse a value whose last dimension differs from the query's
  mhaValueWidth: { name: 'MultiHeadAttention with a value width other than the query width', since: { tfkeras: 4, keras3: 3 }, verified: false },
  // Keras 3.0.1 and 3.2.1 return one symbolic tensor for return_attention_scores=True; 3.12.0 and
  // 3.15.1 load and run kconv's file of it (3.3-3.11 not checked)
  attentionScores: { name: 'an attention layer returning its attention scores (return_attention_scores=True)', since: { tfkeras: 12, keras3: 12 }, verified: false },
} satisfies Record<string, Feature>;

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
  // Keras 3.15's gated attention and sliding-window mask change the numbers; not implemented
  if (cfg.config.use_gate === true) {
    throw new KconvError('UNSUPPORTED_FEATURE', 'MultiHeadAttention use_gate=true (Keras 3.15 gated attention) is not implemented (expected false)', { where: `${cfg.where}.use_gate` });
  }
  const window = cfg.config.sliding_window;
  if (window !== undefined && window !== null) {
    throw new KconvError('UNSUPPORTED_FEATURE', `MultiHeadAttention sliding_window ${JSON.stringify(window)} is not implemented (expected null)`, { where: `${cfg.where}.sliding_window` });
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
    MultiHeadAttention: (node, ctx) => writeMha(node, ctx),
    Attention: (node, ctx) => writeAttention(node, ctx),
  },
  weightOrder: {
    MultiHeadAttention: ['query_kernel', 'query_bias', 'key_kernel', 'key_bias', 'value_kernel', 'value_bias', 'output_kernel', 'output_bias'],
    Attention: ['scale', 'concat_score_weight'],
  },
  storedName: (role) => {
    const m = /^(query|key|value|output)_(kernel|bias)$/.exec(role);
    return m ? `${m[1] === 'output' ? 'attention_output' : m[1]}/${m[2]}` : role;
  },
  weightGroups(node, target) {
    if (node.op !== 'MultiHeadAttention') return undefined;
    // Keras 3.0-3.2 name the sub-layers `_query_dense`, 3.3+ `query_dense`
    const prefix = target.version[1] < 3 ? '_' : '';
    return (['query', 'key', 'value', 'output'] as const).map(
      (p): WeightGroup => ({ path: `${prefix}${p}_dense`, name: p === 'output' ? 'attention_output' : p, roles: [`${p}_kernel`, `${p}_bias`] }),
    );
  },
  writeCalls: (nodes, ctx) => writeCalls(nodes, ctx),
  buildConfig(node, shapeOf): JsonObject {
    const [q, v, k] = node.inputs;
    if (node.op === 'MultiHeadAttention') {
      const shapes: JsonObject = { query_shape: shapeOf(q), value_shape: shapeOf(v) };
      if (k !== v) shapes.key_shape = shapeOf(k);
      return { shapes_dict: shapes };
    }
    return { input_shape: (k !== v ? [q, v, k] : [q, v]).map(shapeOf) };
  },
  check(node, target) {
    const f = ATTENTION_FEATURES;
    need(node, target, node.op === 'MultiHeadAttention' ? f.multiHeadAttention : f.attentionLayer);
    if (node.attrs.causal) need(node, target, node.op === 'MultiHeadAttention' ? f.mhaCausal : f.attentionCausal);
    if (node.op === 'MultiHeadAttention' && node.attrs.outputDim !== node.attrs.queryFeatures) need(node, target, f.mhaOutputShape);
    if (node.op === 'MultiHeadAttention' && node.attrs.valueFeatures !== node.attrs.queryFeatures) need(node, target, f.mhaValueWidth);
    if (node.attrs.returns === 'scores') need(node, target, f.attentionScores);
  },
  features: ATTENTION_FEATURES,
  extras: {
    // `seed` (dropout's) is taken by Keras 3.6's MultiHeadAttention (not 3.2's) and written by it;
    // use_gate / sliding_window are 3.15's (not 3.12's) and written as body keys
    MultiHeadAttention: { keras2: [], keras3: ['seed'], k3since: { seed: 6 }, defaults: { keras3: { seed: [6, null] } } },
    // Keras 3.0 takes `seed`; 3.15 writes it (3.12 does not)
    Attention: { keras2: [], keras3: ['seed'], k3since: { seed: 0 }, defaults: { keras3: { seed: [15, null] } } },
    AdditiveAttention: { keras2: [], keras3: ['seed'], k3since: { seed: 0 }, defaults: { keras3: { seed: [15, null] } } },
  },
});

/** The source's `output_shape` when it names the same width, else the IR's (null: the query's width). */
function outputShapeValue(node: NodeOf<'MultiHeadAttention'>, target: Target): Json {
  const a = node.attrs;
  const src = sourceConfig(node).output_shape;
  const old = isKeras3(target) && target.version[1] < 12;
  // the query's width is what null means; Keras 3 before 3.12 cannot load any other value (check)
  return a.outputDim === a.queryFeatures && (src === undefined || src === null || old) ? null : a.outputDim;
}

function writeMha(node: NodeOf<'MultiHeadAttention'>, ctx: EmitContext): WrittenLayer {
  const a = node.attrs;
  const src = sourceConfig(node);
  const k3 = isKeras3(ctx.target);
  const body: JsonObject = { num_heads: a.heads, key_dim: a.keyDim, value_dim: a.valueDim, dropout: typeof src.dropout === 'number' ? src.dropout : 0.0, use_bias: a.useBias };
  if (k3 && ctx.target.version[1] >= 15) body.use_gate = false;
  body.output_shape = outputShapeValue(node, ctx.target);
  // only the steps axis is read (readMha), which Keras records as [1]
  body.attention_axes = [1];
  if (k3 && ctx.target.version[1] >= 15) body.sliding_window = null;
  const objects = weightObjects(['kernel', 'bias']);
  if (k3) return { className: 'MultiHeadAttention', body, objects };
  // tf.keras's from_config pops the three build shapes (keys it requires)
  const shapes = inferDeclaredShapes(ctx.graph);
  const [q, v, k] = node.inputs;
  const shapeOf = (x: string) => (shapes.get(x) ?? null) as Json;
  return {
    className: 'MultiHeadAttention',
    body,
    objects,
    adjust: (config: JsonObject) => {
      config.query_shape = shapeOf(q);
      config.key_shape = shapeOf(k);
      config.value_shape = shapeOf(v);
    },
  };
}

function writeAttention(node: NodeOf<'Attention'>, ctx: EmitContext): WrittenLayer {
  const a = node.attrs;
  const src = sourceConfig(node);
  const dropout = typeof src.dropout === 'number' ? src.dropout : 0.0;
  const additive = a.scoreMode === 'additive';
  const className = additive ? 'AdditiveAttention' : 'Attention';
  if (!isKeras3(ctx.target)) return { className, body: additive ? { dropout, use_scale: a.useScale } : { dropout, use_scale: a.useScale, score_mode: a.scoreMode } };
  // Keras 3.15's legacy-h5 loader turns the string 'dot' into the function keras.ops.dot and then
  // fails to build the layer (docs/layers-attention.md): 'dot' is the constructor default, so a
  // legacy config leaves it out
  const omitMode = a.scoreMode === 'dot' && ctx.style === 'legacy';
  return { className, body: additive || omitMode ? { use_scale: a.useScale, dropout } : { use_scale: a.useScale, score_mode: a.scoreMode, dropout } };
}

/**
 * One Keras call per output node, with the scores node of the same call (same inputs) as its
 * second output: MultiHeadAttention(query, value, key=...) and Attention([query, value, key]),
 * key left out where it is the value, causal and scores as call flags.
 */
function writeCalls(nodes: (NodeOf<'MultiHeadAttention'> | NodeOf<'Attention'>)[], ctx: EmitContext): WrittenCall[] {
  const same = (x: (typeof nodes)[number], y: (typeof nodes)[number]) => x.inputs.join('\n') === y.inputs.join('\n') && x.attrs.causal === y.attrs.causal;
  const scores = nodes.filter((n) => n.attrs.returns === 'scores');
  const calls: WrittenCall[] = [];
  for (const n of nodes.filter((x) => x.attrs.returns === 'output')) {
    const s = scores.find((x) => same(x, n));
    if (s) scores.splice(scores.indexOf(s), 1);
    const [q, v, k] = n.inputs;
    const kwargs: JsonObject = {};
    if (n.attrs.causal) kwargs.use_causal_mask = true;
    if (s) kwargs.return_attention_scores = true;
    const outputs = [...n.outputs, ...(s ? s.outputs : [])];
    if (n.op === 'MultiHeadAttention') {
      if (isKeras3(ctx.target)) calls.push({ outputs, args: k !== v ? [q, v, k] : [q, v], tensorKwargs: {}, kwargs });
      else calls.push({ outputs, args: [q], tensorKwargs: k !== v ? { value: v, key: k } : { value: v }, kwargs });
    } else {
      calls.push({ outputs, args: [k !== v ? [q, v, k] : [q, v]], tensorKwargs: {}, kwargs });
    }
  }
  if (scores.length > 0) {
    throw new KconvError('NOT_REPRESENTABLE', `layer '${scores[0].keras?.layerName ?? scores[0].name}' (${scores[0].op}): its attention scores are used without its output from the same call, which a Keras call cannot record`, { where: scores[0].name });
  }
  return calls;
}
