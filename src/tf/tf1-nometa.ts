/**
 * TF1 checkpoints saved without a `.meta` graph: the tensors are there, the layer hyperparameters
 * are not. The user describes the layers (a small JSON, or CLI flags that build it); kconv finds
 * each layer's variables under its variable scope and checks every kernel's shape against the
 * description before building anything.
 *
 *   {
 *     "input": [null, 13, 3],                 // shape without... with the batch axis (null = any)
 *     "scope": "model",                       // optional: an enclosing variable scope
 *     "layers": [
 *       {"type": "conv1d", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
 *        "activation": "relu"},              // also dilation_rate, data_format, use_bias, name
 *       {"type": "max_pooling1d", "pool_size": 2, "strides": 2, "padding": "valid"},
 *       {"type": "flatten"},
 *       {"type": "dense", "units": 2, "activation": "sigmoid"}
 *     ]
 *   }
 *
 * Variable scopes default to what `tf.layers` names layers: `conv1d`, `conv1d_1`, ... per type
 * (pooling and flatten layers own no variables). A layer's `name` overrides its scope.
 */
import { KconvError } from '../errors.js';
import type { Bundle } from '../formats/tf-bundle.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Config } from '../keras/config-values.js';
import type { StoredWeight } from '../keras/layers/index.js';
import { addTf1Layer, BASE_NAMES, LayerNamer, type Tf1Layer, type Tf1LayerClass } from './tf1-layers.js';

export interface Tf1LayerSpec {
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface Tf1ModelSpec {
  /** Input shape with the batch axis, e.g. [null, 13, 3]; null entries are unknown. */
  input: (number | null)[];
  /** Variable scope enclosing every layer (e.g. 'model'), if any. */
  scope?: string;
  layers: Tf1LayerSpec[];
}

const TYPES: Record<string, Tf1LayerClass> = {
  conv1d: 'Conv1D',
  dense: 'Dense',
  max_pooling1d: 'MaxPooling1D',
  average_pooling1d: 'AveragePooling1D',
  global_max_pooling1d: 'GlobalMaxPooling1D',
  global_average_pooling1d: 'GlobalAveragePooling1D',
  flatten: 'Flatten',
  activation: 'Activation',
};

function bad(message: string, where: string): KconvError {
  return new KconvError('BAD_CONFIG', message, { where });
}

function int(spec: Tf1LayerSpec, key: string, fallback: number | undefined, where: string): number {
  const v = spec[key] ?? fallback;
  const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw bad(`${key} must be a positive integer, found ${JSON.stringify(v)}`, `${where}.${key}`);
  return n;
}

function oneOf(spec: Tf1LayerSpec, key: string, allowed: string[], fallback: string, where: string): string {
  const v = spec[key] ?? fallback;
  if (typeof v !== 'string' || !allowed.includes(v.toLowerCase())) throw bad(`${key} must be one of ${allowed.join(', ')}, found ${JSON.stringify(v)}`, `${where}.${key}`);
  return v.toLowerCase();
}

function activation(spec: Tf1LayerSpec, where: string): string {
  const v = spec.activation ?? 'linear';
  if (v === null) return 'linear';
  if (typeof v !== 'string') throw bad(`activation must be a name, found ${JSON.stringify(v)}`, `${where}.activation`);
  return v;
}

const KNOWN_KEYS: Record<Tf1LayerClass, string[]> = {
  Conv1D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'activation', 'use_bias'],
  Dense: ['units', 'activation', 'use_bias'],
  MaxPooling1D: ['pool_size', 'strides', 'padding', 'data_format'],
  AveragePooling1D: ['pool_size', 'strides', 'padding', 'data_format'],
  GlobalMaxPooling1D: ['data_format'],
  GlobalAveragePooling1D: ['data_format'],
  Flatten: ['data_format'],
  Activation: ['activation'],
};

/** Builds the IR graph from a checkpoint bundle and the user's description of its layers. */
export function graphFromTf1Spec(bundle: Bundle, spec: Tf1ModelSpec, options: { name?: string; format?: string } = {}): Graph {
  if (!spec || !Array.isArray(spec.layers) || spec.layers.length === 0) throw bad('expected {"input": [...], "layers": [...]} with at least one layer', 'layers');
  if (!Array.isArray(spec.input) || spec.input.length !== 3) throw bad(`input must be a shape with the batch axis, [batch, steps, channels], found ${JSON.stringify(spec.input)}`, 'input');
  const builder = new GraphBuilder(options.name ?? 'tf1_model');
  const namer = new LayerNamer();
  const scopeCounters = new Map<string, number>();
  const prefix = spec.scope ? `${spec.scope.replace(/\/+$/, '')}/` : '';
  let value = builder.input('input', spec.input.slice(1), { batchSize: spec.input[0] ?? null }, {
    className: 'InputLayer',
    config: { name: 'input', batch_input_shape: spec.input, dtype: 'float32' },
    layerName: 'input',
  });
  const used = new Set<string>();
  spec.layers.forEach((layerSpec, i) => {
    const where = `layers[${i}]`;
    const className = TYPES[String(layerSpec.type).toLowerCase()];
    if (!className) throw bad(`type must be one of ${Object.keys(TYPES).join(', ')}, found ${JSON.stringify(layerSpec.type)}`, `${where}.type`);
    for (const key of Object.keys(layerSpec)) {
      // A linear activation on a layer without one says nothing; accept it from generic records.
      if (key === 'activation' && !KNOWN_KEYS[className].includes(key) && (layerSpec.activation === 'linear' || layerSpec.activation === null)) continue;
      if (key !== 'type' && key !== 'name' && !KNOWN_KEYS[className].includes(key)) throw bad(`unknown key ${JSON.stringify(key)} for ${layerSpec.type}`, `${where}.${key}`);
    }
    const base = BASE_NAMES[className];
    // tf.layers numbers default scopes per base name: conv1d, conv1d_1, ...
    let scope: string | undefined;
    if (className === 'Conv1D' || className === 'Dense') {
      const n = scopeCounters.get(base) ?? 0;
      scopeCounters.set(base, n + 1);
      scope = prefix + (layerSpec.name ?? (n === 0 ? base : `${base}_${n}`));
    }
    const weights: StoredWeight[] = [];
    let config: Config;
    const dataFormat = oneOf(layerSpec, 'data_format', ['channels_last', 'channels_first'], 'channels_last', where);
    switch (className) {
      case 'Conv1D': {
        const useBias = layerSpec.use_bias ?? true;
        config = {
          filters: int(layerSpec, 'filters', undefined, where),
          kernel_size: [int(layerSpec, 'kernel_size', undefined, where)],
          strides: [int(layerSpec, 'strides', 1, where)],
          padding: oneOf(layerSpec, 'padding', ['valid', 'same', 'causal'], 'valid', where),
          data_format: dataFormat,
          dilation_rate: [int(layerSpec, 'dilation_rate', 1, where)],
          groups: 1,
          activation: activation(layerSpec, where),
          use_bias: useBias !== false,
        };
        weights.push(variable(bundle, `${scope}/kernel`, used, where));
        if (config.use_bias) weights.push(variable(bundle, `${scope}/bias`, used, where));
        break;
      }
      case 'Dense': {
        config = { units: int(layerSpec, 'units', undefined, where), activation: activation(layerSpec, where), use_bias: layerSpec.use_bias !== false };
        weights.push(variable(bundle, `${scope}/kernel`, used, where));
        if (config.use_bias) weights.push(variable(bundle, `${scope}/bias`, used, where));
        break;
      }
      case 'MaxPooling1D':
      case 'AveragePooling1D': {
        const poolSize = int(layerSpec, 'pool_size', 2, where);
        config = { pool_size: [poolSize], strides: [int(layerSpec, 'strides', poolSize, where)], padding: oneOf(layerSpec, 'padding', ['valid', 'same'], 'valid', where), data_format: dataFormat };
        break;
      }
      case 'Activation':
        config = { activation: activation(layerSpec, where) };
        break;
      default:
        config = { data_format: dataFormat };
    }
    const name = namer.name(scope ? scope.split('/').pop() : layerSpec.name, base);
    const layer: Tf1Layer = { className, config: { name, trainable: true, ...config }, weights, tfScope: scope, tfNodes: [] };
    // Kernel and bias shapes are checked against the description by the layer mapping (BAD_WEIGHTS).
    value = addTf1Layer(builder, layer, value, where);
  });
  const warnings: string[] = [];
  const unused = [...bundle.entries.keys()].filter((k) => !used.has(k) && !isBookkeeping(k));
  if (unused.length > 0) warnings.push(`checkpoint tensors not used by the described layers: ${unused.join(', ')}`);
  return builder.build([value], {
    format: options.format ?? 'tf1-checkpoint',
    backend: 'tensorflow',
    warnings,
    extra: { checkpointFormat: bundle.header.format, graph: 'described by the user (no .meta)' },
  });
}

/** Optimizer slots and counters that a Saver stores beside the model's variables. */
function isBookkeeping(key: string): boolean {
  return /(^|\/)(global_step|beta[12]_power(_\d+)?)$/.test(key) || /\/(Adam(_\d+)?|Momentum|RMSProp(_\d+)?|Adagrad|Ftrl(_\d+)?)$/.test(key);
}

function variable(bundle: Bundle, key: string, used: Set<string>, where: string): StoredWeight {
  if (!bundle.entries.has(key)) {
    const near = [...bundle.entries.keys()].filter((k) => k.endsWith(key.split('/').pop()!)).slice(0, 10);
    throw new KconvError(
      'BAD_WEIGHTS',
      `the layer's variable ${JSON.stringify(key)} is not in the checkpoint${near.length ? `; it has ${near.map((k) => JSON.stringify(k)).join(', ')} (give the layer a "name", or the model a "scope")` : ''}`,
      { where },
    );
  }
  used.add(key);
  return { name: key, tensor: bundle.tensor(key), where: key };
}
