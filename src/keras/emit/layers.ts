/**
 * IR node → Keras layer `{class_name, config}` in the dialect of a target. The inverse of the
 * config → IR dialect readers (src/keras/layers.ts):
 * - keys the IR models (filters, kernel_size, padding, activation, ...) come from the node's
 *   attributes, which are authoritative;
 * - keys the IR does not model (initializers, regularizers, constraints, trainable, dtype,
 *   names, dropout rates, ...) come from the node's KerasBag, translated to the target dialect;
 * - without a bag (TF1 checkpoints, hand-built graphs), Keras's constructor defaults.
 * A bag key the target's constructor does not take is dropped with a warning when its value is
 * not the default (it would make that Keras refuse the file), silently otherwise.
 */
import { KconvError } from '../../errors.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { Activation, ActivationFn } from '../../ir/ops.js';
import { isKeras3, kerasPadding, supports, FEATURES, type Target } from '../targets.js';
import { convertDtype, convertObject, dtypeName, isObject, type Json, type JsonObject, type ObjectKind } from './objects.js';

export interface LayerOut {
  className: string;
  config: JsonObject;
}

export interface EmitContext {
  target: Target;
  graph: Graph;
  warnings: string[];
}

const KERAS1_OBJECT_KEYS: Record<string, string> = {
  kernel_initializer: 'init',
  kernel_regularizer: 'W_regularizer',
  bias_regularizer: 'b_regularizer',
  kernel_constraint: 'W_constraint',
  bias_constraint: 'b_constraint',
};

/** Keys that are bookkeeping of a dialect, never carried: aliases of IR-modelled keys, Keras 1 names. */
const NEVER_CARRY = new Set([
  'name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'batch_size', 'input_dtype',
  'nb_filter', 'filter_length', 'subsample_length', 'border_mode', 'init', 'W_regularizer', 'b_regularizer',
  'W_constraint', 'b_constraint', 'bias', 'input_dim', 'input_length', 'atrous_rate', 'output_dim', 'rank', 'pool_length', 'stride',
]);

/**
 * Constructor keys outside the IR that each class takes, per family; `k3since` gives the Keras 3
 * minor that introduced a key (read from every Keras 3 wheel: docs/keras3-key-versions.md). A
 * bag key not listed for the target is not carried.
 */
const EXTRA_KEYS: Record<string, { keras2: string[]; keras3: string[]; k3since?: Record<string, number> }> = {
  Conv1D: { keras2: [], keras3: ['lora_rank', 'lora_alpha'], k3since: { lora_rank: 3, lora_alpha: 10 } },
  Dense: { keras2: [], keras3: ['lora_rank', 'lora_alpha', 'quantization_config'], k3since: { lora_rank: 1, lora_alpha: 10, quantization_config: 13 } },
  BatchNormalization: {
    keras2: ['momentum', 'renorm', 'renorm_clipping', 'renorm_momentum', 'fused', 'virtual_batch_size', 'adjustment', 'synchronized'],
    keras3: ['momentum', 'synchronized', 'renorm', 'renorm_clipping', 'renorm_momentum'],
    k3since: { synchronized: 0, renorm: 14, renorm_clipping: 14, renorm_momentum: 14 },
  },
  Embedding: { keras2: ['mask_zero', 'input_length'], keras3: ['mask_zero', 'lora_rank', 'lora_alpha', 'quantization_config'], k3since: { lora_rank: 1, lora_alpha: 10, quantization_config: 13 } },
  Dropout: { keras2: ['rate', 'noise_shape', 'seed'], keras3: ['rate', 'noise_shape', 'seed'] },
  SpatialDropout1D: { keras2: ['rate', 'noise_shape', 'seed'], keras3: ['rate', 'seed'] },
  GaussianNoise: { keras2: ['stddev', 'seed'], keras3: ['stddev', 'seed'] },
  GaussianDropout: { keras2: ['rate', 'seed'], keras3: ['rate', 'seed'] },
  AlphaDropout: { keras2: ['rate', 'noise_shape', 'seed'], keras3: ['rate', 'noise_shape', 'seed'] },
  ActivityRegularization: { keras2: ['l1', 'l2'], keras3: ['l1', 'l2'] },
  ZeroPadding1D: { keras2: [], keras3: ['data_format'], k3since: { data_format: 5 } },
  UpSampling1D: { keras2: [], keras3: [] },
  LayerNormalization: { keras2: [], keras3: [] },
  Flatten: { keras2: [], keras3: [] },
};

/**
 * Keys a Keras writes with their default value even when the model never set them; emitted so
 * that a file converted A → B → A has the same config as A (the values are the defaults, so the
 * meaning is the same). The Keras 3 minor where each key appears is the one whose get_config
 * writes it, read from every Keras 3 wheel (docs/keras3-key-versions.md).
 */
const DEFAULT_EXTRAS: Record<string, { keras2?: Record<string, Json>; keras3?: Record<string, [number, Json]> }> = {
  Dense: { keras3: { quantization_config: [13, null] } },
  Embedding: { keras3: { quantization_config: [13, null] } },
  SpatialDropout1D: { keras2: { noise_shape: null, seed: null } },
  ZeroPadding1D: { keras3: { data_format: [5, 'channels_last'] } },
  BatchNormalization: { keras3: { synchronized: [0, false], renorm: [14, false], renorm_clipping: [14, null], renorm_momentum: [14, 0.99] } },
};

/** Keys Keras 2 writes only when they differ from the default (tf.keras `get_config`). */
const KERAS2_OMITS_DEFAULT: Record<string, Record<string, Json>> = {
  BatchNormalization: { synchronized: false, renorm: false, renorm_clipping: null, renorm_momentum: 0.99 },
};

/** Initializer defaults of each weight key when the source had none (Keras constructor defaults). */
const DEFAULT_OBJECTS: Record<string, Json> = {
  kernel_initializer: 'glorot_uniform',
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

function objectKind(key: string): ObjectKind | null {
  if (key.endsWith('_initializer')) return 'initializers';
  if (key.endsWith('_regularizer')) return 'regularizers';
  if (key.endsWith('_constraint')) return 'constraints';
  return null;
}

/** Builds the config of one layer. */
export function emitLayer(node: Node, ctx: EmitContext): LayerOut {
  const { target } = ctx;
  const bag = node.keras;
  const src = bag?.config ?? {};
  const k3 = isKeras3(target);
  const body: JsonObject = {};
  const objects: string[] = [];
  let className = bag?.className ?? node.op;

  const conv = (prefixes: string[]) => {
    for (const p of prefixes) objects.push(`${p}_initializer`);
    for (const p of prefixes) objects.push(`${p}_regularizer`);
    objects.push('activity_regularizer');
    for (const p of prefixes) objects.push(`${p}_constraint`);
  };

  switch (node.op) {
    case 'Input':
      return emitInputLayer(node, ctx);
    case 'Conv1D': {
      const a = node.attrs;
      className = 'Conv1D';
      Object.assign(body, {
        filters: a.filters,
        kernel_size: [a.kernelSize],
        strides: [a.stride],
        padding: padString(node),
        data_format: dataFormat(a.layout),
        dilation_rate: [a.dilation],
      });
      if (k3 || supports(target, FEATURES.groups.since)) body.groups = a.groups;
      Object.assign(body, { activation: activationName(a.activation, src.activation), use_bias: a.useBias });
      conv(['kernel', 'bias']);
      break;
    }
    case 'SeparableConv1D': {
      const a = node.attrs;
      className = 'SeparableConv1D';
      Object.assign(body, {
        filters: a.filters, kernel_size: [a.kernelSize], strides: [a.stride], padding: padString(node),
        data_format: dataFormat(a.layout), dilation_rate: [a.dilation], depth_multiplier: a.depthMultiplier,
        activation: activationName(a.activation, src.activation), use_bias: a.useBias,
      });
      conv(['depthwise', 'pointwise', 'bias']);
      break;
    }
    case 'DepthwiseConv1D': {
      const a = node.attrs;
      className = 'DepthwiseConv1D';
      Object.assign(body, {
        kernel_size: [a.kernelSize], strides: [a.stride], padding: padString(node), data_format: dataFormat(a.layout),
        dilation_rate: [a.dilation], depth_multiplier: a.depthMultiplier,
        activation: activationName(a.activation, src.activation), use_bias: a.useBias,
      });
      conv(['depthwise', 'bias']);
      break;
    }
    case 'Conv1DTranspose': {
      const a = node.attrs;
      className = 'Conv1DTranspose';
      Object.assign(body, {
        filters: a.filters, kernel_size: [a.kernelSize], strides: [a.stride], padding: a.padding,
        output_padding: a.outputPadding === null ? null : [a.outputPadding], data_format: dataFormat(a.layout),
        dilation_rate: [a.dilation], activation: activationName(a.activation, src.activation), use_bias: a.useBias,
      });
      conv(['kernel', 'bias']);
      break;
    }
    case 'Dense': {
      const a = node.attrs;
      className = 'Dense';
      Object.assign(body, { units: a.units, activation: activationName(a.activation, src.activation), use_bias: a.useBias });
      conv(['kernel', 'bias']);
      break;
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const a = node.attrs;
      className = node.op;
      Object.assign(body, { pool_size: [a.poolSize], strides: [a.stride], padding: a.padding.kind === 'same' ? 'same' : 'valid', data_format: dataFormat(a.layout) });
      break;
    }
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling1D': {
      className = node.op;
      body.data_format = dataFormat(node.attrs.layout);
      if (k3 || supports(target, FEATURES.globalPoolKeepdims.since)) body.keepdims = node.attrs.keepDims;
      break;
    }
    case 'Flatten':
      className = 'Flatten';
      body.data_format = dataFormat(node.attrs.layout);
      break;
    case 'Reshape':
      className = 'Reshape';
      body.target_shape = [...node.attrs.targetShape];
      break;
    case 'Permute':
      className = 'Permute';
      body.dims = [...node.attrs.dims];
      break;
    case 'RepeatVector':
      className = 'RepeatVector';
      body.n = node.attrs.n;
      break;
    case 'UpSampling1D':
      className = 'UpSampling1D';
      body.size = node.attrs.size;
      break;
    case 'ZeroPadding1D':
      className = 'ZeroPadding1D';
      body.padding = [node.attrs.before, node.attrs.after];
      break;
    case 'Cropping1D':
      className = 'Cropping1D';
      body.cropping = [node.attrs.before, node.attrs.after];
      break;
    case 'Identity':
      className = bag?.className ?? node.attrs.kind;
      if (!EXTRA_KEYS[className]) className = 'Dropout';
      if (className === 'Dropout' && src.rate === undefined) body.rate = 0;
      break;
    case 'Activation':
      return finish(node, ctx, ...emitActivationLayer(node, ctx), []);
    case 'PReLU':
      // shared_axes decides alpha's shape: without it Keras builds a full-size alpha the stored one does not fit.
      className = 'PReLU';
      body.shared_axes = node.attrs.sharedAxes.length > 0 ? [...node.attrs.sharedAxes] : null;
      objects.push('alpha_initializer', 'alpha_regularizer', 'alpha_constraint');
      break;
    case 'BatchNormalization': {
      const a = node.attrs;
      className = 'BatchNormalization';
      Object.assign(body, { axis: axisValue(src.axis, a.axis), epsilon: a.epsilon, center: a.center, scale: a.scale });
      if (src.momentum === undefined) body.momentum = 0.99;
      objects.push('beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint');
      break;
    }
    case 'LayerNormalization': {
      const a = node.attrs;
      className = 'LayerNormalization';
      const axis = Array.isArray(src.axis) || typeof src.axis === 'number' ? src.axis : a.axes.length === 1 ? a.axes[0] : [...a.axes];
      Object.assign(body, { axis, epsilon: a.epsilon, center: a.center, scale: a.scale });
      if (k3) body.rms_scaling = a.rmsScaling;
      // With rms_scaling the importer folds center/scale into the weights Keras creates (gamma, no
      // beta); write back the values the source file had, which Keras 3 builds the same way.
      if (a.rmsScaling && typeof src.center === 'boolean') body.center = src.center;
      if (a.rmsScaling && typeof src.scale === 'boolean') body.scale = src.scale;
      objects.push('beta_initializer', 'gamma_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint');
      break;
    }
    case 'Embedding': {
      className = 'Embedding';
      Object.assign(body, { input_dim: node.attrs.inputDim, output_dim: node.attrs.outputDim });
      objects.push('embeddings_initializer', 'embeddings_regularizer', 'activity_regularizer', 'embeddings_constraint');
      break;
    }
    case 'Merge': {
      const names: Record<string, string> = { add: 'Add', subtract: 'Subtract', multiply: 'Multiply', average: 'Average', maximum: 'Maximum', minimum: 'Minimum' };
      className = names[node.attrs.mode];
      break;
    }
    case 'Concatenate':
      className = 'Concatenate';
      body.axis = axisValue(src.axis, node.attrs.axis);
      break;
    case 'Unsupported':
      return emitVerbatim(node, ctx);
  }
  return finish(node, ctx, className, body, objects);
}

/** Adds name/trainable/dtype, the nested objects and the carried extras. */
function finish(node: Node, ctx: EmitContext, className: string, body: JsonObject, objects: string[]): LayerOut {
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
  if (isKeras3(target) && className === 'SpatialDropout1D') {
    // Keras 3's SpatialDropout1D takes (rate, seed, name, dtype) only, dtype as a plain string.
    delete config.trainable;
    config.dtype = dtypeName(src.dtype) ?? 'float32';
  }
  return { className, config };
}

function carryExtras(node: Node, ctx: EmitContext, className: string, config: JsonObject): void {
  const src = node.keras?.config;
  const defaults = DEFAULT_EXTRAS[className];
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
  const spec = EXTRA_KEYS[className];
  const k3 = isKeras3(ctx.target);
  const allowed = new Set(spec ? (k3 ? spec.keras3 : spec.keras2) : []);
  for (const [key, value] of Object.entries(src)) {
    if (key in config || NEVER_CARRY.has(key)) continue;
    const omit = KERAS2_OMITS_DEFAULT[className];
    if (!k3 && omit && key in omit && JSON.stringify(omit[key]) === JSON.stringify(value)) continue;
    const since = spec?.k3since?.[key];
    const ok = allowed.has(key) && (!k3 || since === undefined || ctx.target.version[1] >= since);
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

function padString(node: Node): string {
  const p = kerasPadding(node);
  if (p === null) throw new KconvError('NOT_REPRESENTABLE', `layer '${node.name}': its padding has no Keras spelling`, { where: node.name });
  return p;
}

function dataFormat(layout: 'NWC' | 'NCW'): string {
  return layout === 'NCW' ? 'channels_first' : 'channels_last';
}

/** Keep the source's axis spelling (e.g. -1) when it is consistent with the IR's; else the IR's. */
function axisValue(source: unknown, ir: number): Json {
  if (typeof source === 'number' && (source === ir || source < 0)) return source;
  if (Array.isArray(source) && source.length === 1 && typeof source[0] === 'number') return axisValue(source[0], ir);
  return ir;
}

const ACTIVATION_NAMES: Partial<Record<ActivationFn, string>> = { hard_silu: 'hard_silu', swish: 'swish' };
const ALIASES: Record<string, ActivationFn> = { silu: 'swish', hard_swish: 'hard_silu', linear: 'linear' };

/** The activation's Keras name; keeps the source's spelling when it names the same function. */
export function activationName(act: Activation, source?: unknown): string {
  if (typeof source === 'string') {
    const fn = ALIASES[source] ?? source;
    if (fn === act.fn) return source;
  }
  return ACTIVATION_NAMES[act.fn] ?? act.fn;
}

/** Activation nodes: the Activation layer, or ReLU/LeakyReLU/ELU/Softmax/ThresholdedReLU layers. */
function emitActivationLayer(node: Extract<Node, { op: 'Activation' }>, ctx: EmitContext): [string, JsonObject] {
  const act = node.attrs.activation;
  const bagClass = node.keras?.className;
  const k3 = isKeras3(ctx.target);
  if (act.fn === 'leaky_relu') {
    return ['LeakyReLU', k3 ? { negative_slope: act.alpha ?? 0.3 } : { alpha: act.alpha ?? 0.3 }];
  }
  if (act.fn === 'relu' && (bagClass === 'ReLU' || (act.alpha ?? 0) !== 0 || (act.maxValue ?? null) !== null || (act.threshold ?? 0) !== 0)) {
    return ['ReLU', { max_value: act.maxValue ?? null, negative_slope: act.alpha ?? 0, threshold: act.threshold ?? 0 }];
  }
  if (act.fn === 'elu' && (bagClass === 'ELU' || (act.alpha ?? 1) !== 1)) return ['ELU', { alpha: act.alpha ?? 1 }];
  if (act.fn === 'softmax' && (bagClass === 'Softmax' || (act.axis ?? -1) !== -1)) return ['Softmax', { axis: act.axis ?? -1 }];
  if (act.fn === 'thresholded_relu') return ['ThresholdedReLU', { theta: act.threshold ?? 1 }];
  return ['Activation', { activation: activationName(act, node.keras?.config?.activation) }];
}

/** Layers kconv cannot run: their config as read, nested objects translated to the target dialect. */
function emitVerbatim(node: Extract<Node, { op: 'Unsupported' }>, ctx: EmitContext): LayerOut {
  const bag = node.keras;
  if (!bag) {
    throw new KconvError('NOT_REPRESENTABLE', `layer '${node.name}' (${node.attrs.className}) has no Keras config to write`, { where: node.name });
  }
  const config: JsonObject = {};
  for (const [key, value] of Object.entries(bag.config)) {
    if (key === 'batch_input_shape' || key === 'batch_shape') continue;
    const kind = objectKind(key);
    if (kind) config[key] = convertObject(value, kind, ctx.target);
    else if (key === 'dtype') config[key] = convertDtype(value, ctx.target);
    else config[key] = value as Json;
  }
  config.name = bag.layerName;
  return { className: bag.className, config };
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

/** Weight roles of each op in Keras's variable order (trainable first). */
const WEIGHT_ORDER: Record<string, string[]> = {
  Conv1D: ['kernel', 'bias'],
  Dense: ['kernel', 'bias'],
  Conv1DTranspose: ['kernel', 'bias'],
  SeparableConv1D: ['depthwise_kernel', 'pointwise_kernel', 'bias'],
  DepthwiseConv1D: ['depthwise_kernel', 'bias'],
  BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  LayerNormalization: ['gamma', 'beta'],
  Embedding: ['embeddings'],
};
const NON_TRAINABLE_ROLES = new Set(['moving_mean', 'moving_variance']);

export interface LayerWeight {
  role: string;
  key: string;
  trainable: boolean;
}

/** The node's weights in Keras's order, each marked trainable or not. */
export function layerWeights(node: Node): LayerWeight[] {
  const order = WEIGHT_ORDER[node.op] ?? [];
  const roles = [...order.filter((r) => r in node.weights), ...Object.keys(node.weights).filter((r) => !order.includes(r))];
  const layerTrainable = node.keras?.config?.trainable !== false;
  return roles.map((role) => ({ role, key: node.weights[role], trainable: layerTrainable && !NON_TRAINABLE_ROLES.has(role) }));
}
