/**
 * IR node → Keras layer `{class_name, config}` in the dialect of a target. The layer family's
 * codec (src/keras/layers/) writes the keys the IR models; this module adds what every layer has:
 * - keys the IR models (filters, kernel_size, padding, activation, ...) come from the codec, from
 *   the node's attributes, which are authoritative;
 * - keys the IR does not model (initializers, regularizers, constraints, trainable, dtype,
 *   names, dropout rates, ...) come from the node's KerasBag, translated to the target dialect;
 * - without a bag (TF1 checkpoints, hand-built graphs), Keras's constructor defaults.
 * A bag key the target's constructor does not take is dropped with a warning when its value is
 * not the default (it would make that Keras refuse the file), silently otherwise.
 */
import type { Node } from '../../ir/graph.js';
import { CODEC_BY_OP, CODECS, type EmitContext, type WrittenLayer } from '../layers/index.js';
import type { ExtraKeys } from '../layers/codec.js';
import { isKeras3, supports } from '../targets.js';
import { convertDtype, convertObject, isObject, objectKind, type Json, type JsonObject } from './objects.js';

export type { EmitContext } from '../layers/index.js';

export interface LayerOut {
  className: string;
  config: JsonObject;
}

/** Keras 1 names of the nested-object keys (recurrent layers: `inner_init`, `U_*` for the recurrent kernel). */
const KERAS1_OBJECT_KEYS: Record<string, string> = {
  kernel_initializer: 'init',
  recurrent_initializer: 'inner_init',
  kernel_regularizer: 'W_regularizer',
  recurrent_regularizer: 'U_regularizer',
  bias_regularizer: 'b_regularizer',
  kernel_constraint: 'W_constraint',
  bias_constraint: 'b_constraint',
};

/** Keys that are bookkeeping of a dialect, never carried: aliases of IR-modelled keys, Keras 1 names. */
const NEVER_CARRY = new Set([
  'name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'batch_size', 'input_dtype',
  'nb_filter', 'filter_length', 'subsample_length', 'border_mode', 'init', 'W_regularizer', 'b_regularizer',
  'W_constraint', 'b_constraint', 'bias', 'inner_init', 'U_regularizer', 'input_dim', 'input_length', 'atrous_rate', 'output_dim', 'rank', 'pool_length', 'stride',
  // tf.keras MultiHeadAttention's build shapes: recomputed by its codec for Keras 2 targets
  'query_shape', 'key_shape', 'value_shape',
]);

/** Constructor keys outside the IR, per Keras class, from every codec's `extras`. */
const EXTRA_KEYS: Record<string, ExtraKeys> = Object.assign({}, ...CODECS.map((c) => c.extras ?? {}));

/** Initializer defaults of each weight key when the source had none (Keras constructor defaults). */
const DEFAULT_OBJECTS: Record<string, Json> = {
  kernel_initializer: 'glorot_uniform',
  // recurrent layers; Keras 2.2.4 cannot take null here ("Could not interpret initializer identifier")
  recurrent_initializer: 'orthogonal',
  bias_initializer: 'zeros',
  depthwise_initializer: 'glorot_uniform',
  pointwise_initializer: 'glorot_uniform',
  embeddings_initializer: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
  beta_initializer: 'zeros',
  gamma_initializer: 'ones',
  alpha_initializer: 'zeros',
  moving_mean_initializer: 'zeros',
  moving_variance_initializer: 'ones',
};

/** Builds the config of one layer. */
export function emitLayer(node: Node, ctx: EmitContext): LayerOut {
  if (node.op === 'Input') return emitInputLayer(node, ctx);
  const codec = CODEC_BY_OP.get(node.op);
  if (!codec) throw new Error(`internal: no Keras codec writes op ${node.op}`);
  const write = codec.write[node.op] as (node: Node, ctx: EmitContext) => WrittenLayer;
  const written = write(node, ctx);
  if (written.complete) return { className: written.className, config: written.body };
  return finish(node, ctx, written);
}

/** A wrapper's inner layer (EmitContext.nested): finished from its own source config, then wrapped. */
export function emitNested(ctx: EmitContext, written: WrittenLayer, source: Record<string, unknown>, name: string): Json {
  const inner = { op: 'Unsupported', name, inputs: [], outputs: [], attrs: {}, weights: {}, keras: { className: written.className, layerName: name, config: source } } as unknown as Node;
  const { className, config } = written.complete ? { className: written.className, config: written.body } : finish(inner, ctx, written);
  // Keras 3 deserializes nested layers with serialization_lib, which locates a class by its module
  return isKeras3(ctx.target) ? { module: 'keras.layers', class_name: className, config, registered_name: null } : { class_name: className, config };
}

/** Adds name/trainable/dtype, the nested objects and the carried extras. */
function finish(node: Node, ctx: EmitContext, { className, body, objects = [], adjust }: WrittenLayer): LayerOut {
  const { target } = ctx;
  const bag = node.keras;
  const src = bag?.config ?? {};
  const config: JsonObject = {
    name: bag?.layerName ?? node.name,
    trainable: typeof src.trainable === 'boolean' ? src.trainable : true,
    dtype: convertDtype(src.dtype, target),
    ...body,
  };
  for (const key of objects) {
    const kind = objectKind(key)!;
    let value: unknown = src[key];
    if (value === undefined && KERAS1_OBJECT_KEYS[key]) value = src[KERAS1_OBJECT_KEYS[key]];
    if (value === undefined) value = DEFAULT_OBJECTS[key] ?? null;
    config[key] = convertObject(value, kind, target);
  }
  carryExtras(node, ctx, className, config);
  adjust?.(config);
  return { className, config };
}

function carryExtras(node: Node, ctx: EmitContext, className: string, config: JsonObject): void {
  const src = node.keras?.config;
  const spec = EXTRA_KEYS[className];
  const defaults = spec?.defaults;
  if (defaults) {
    if (isKeras3(ctx.target)) {
      for (const [key, [since, value]] of Object.entries(defaults.keras3 ?? {})) {
        if (ctx.target.version[1] >= since && !(key in config) && src?.[key] === undefined) config[key] = value;
      }
    } else {
      for (const [key, value] of Object.entries(defaults.keras2 ?? {})) if (!(key in config) && src?.[key] === undefined) config[key] = value;
    }
  }
  if (!src) return;
  const k3 = isKeras3(ctx.target);
  const allowed = new Set(spec ? (k3 ? spec.keras3 : spec.keras2) : []);
  for (const [key, value] of Object.entries(src)) {
    if (key in config || NEVER_CARRY.has(key)) continue;
    const omit = spec?.keras2OmitsDefault;
    if (!k3 && omit && key in omit && JSON.stringify(omit[key]) === JSON.stringify(value)) continue;
    const since = spec?.k3since?.[key];
    const k2since = spec?.keras2Since?.[key];
    const ok = allowed.has(key) && (k3 ? since === undefined || ctx.target.version[1] >= since : k2since === undefined || supports(ctx.target, k2since));
    if (ok) {
      const kind = objectKind(key);
      config[key] = kind ? convertObject(value, kind, ctx.target) : (value as Json);
    } else if (!isDefaultValue(value) && !isKnownIrKey(key) && !translatedKeras1Key(node, key)) {
      ctx.warnings.push(`layer '${config.name}': dropped config key '${key}' (${JSON.stringify(value)}), which ${ctx.target.id} does not take`);
    }
  }
}

/**
 * Keras 1 keys the reader translated into the IR: Merge's `mode` became the op (Add, Concatenate...)
 * and `concat_axis` its axis; the `*_type` keys only say how `mode` and friends were serialized
 * ('raw': a name, not a function). Not carried as keys, but not dropped either: no warning.
 */
function translatedKeras1Key(node: Node, key: string): boolean {
  return node.keras?.className === 'Merge' && ['mode', 'concat_axis', 'dot_axes', 'mode_type', 'output_shape_type', 'output_mask_type'].includes(key);
}

/** Keys that the IR models under another name in some dialect (their meaning is kept by the attrs). */
function isKnownIrKey(key: string): boolean {
  return ['alpha', 'negative_slope', 'max_value', 'threshold', 'theta', 'axis', 'activation', 'groups', 'keepdims', 'rms_scaling', 'output_padding'].includes(key);
}

function isDefaultValue(v: unknown): boolean {
  return v === null || v === false || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
}

/** InputLayer config for the target. */
export function emitInputLayer(node: Node, ctx: EmitContext): LayerOut {
  if (node.op !== 'Input') throw new Error('emitInputLayer on a non-Input node');
  const { target } = ctx;
  const a = node.attrs;
  const batchShape: Json = [a.batchSize, ...a.shape];
  const name = node.keras?.layerName ?? node.name;
  const src = node.keras?.config ?? {};
  const sparse = typeof src.sparse === 'boolean' ? src.sparse : false;
  if (isKeras3(target)) {
    const config: JsonObject = { batch_shape: batchShape, dtype: a.dtype, sparse };
    if (target.version[1] >= 9) config.ragged = false;
    config.name = name;
    if (target.version[1] >= 13) config.optional = false;
    return { className: 'InputLayer', config };
  }
  const config: JsonObject = { batch_input_shape: batchShape, dtype: a.dtype, sparse };
  if (target.family === 'tfkeras') config.ragged = false;
  config.name = name;
  return { className: 'InputLayer', config };
}

// Normalization's adapted statistics are non-trainable variables like BatchNormalization's
const NON_TRAINABLE_ROLES = new Set(['moving_mean', 'moving_variance', 'mean', 'variance', 'count']);

export interface LayerWeight {
  role: string;
  key: string;
  trainable: boolean;
  /** Its name under the layer in a legacy .h5 (`query/kernel`), when not the role. */
  storedName?: string;
}

/** The node's weights in Keras's order, each marked trainable or not. */
export function layerWeights(node: Node): LayerWeight[] {
  const codec = CODEC_BY_OP.get(node.op);
  const order: readonly string[] = (codec?.weightOrder as Record<string, string[]> | undefined)?.[node.op] ?? [];
  const inConfig = new Set((codec?.configWeights as ((n: Node) => readonly string[]) | undefined)?.(node) ?? []);
  const roles = [...order.filter((r) => r in node.weights), ...Object.keys(node.weights).filter((r) => !order.includes(r))].filter((r) => !inConfig.has(r));
  const layerTrainable = node.keras?.config?.trainable !== false;
  const storedName = codec?.storedName;
  return roles.map((role) => ({ role, key: node.weights[role], trainable: layerTrainable && !NON_TRAINABLE_ROLES.has(role), ...(storedName ? { storedName: storedName(role) } : {}) }));
}
