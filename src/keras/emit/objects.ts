/**
 * Nested Keras objects inside layer configs (initializers, regularizers, constraints, dtype
 * policies), translated into the dialect of a target:
 * - Keras 2 (standalone, tf.keras <= 2.12): `{"class_name", "config"}`;
 * - Keras 3 (and what tf.keras >= 2.13 writes): `{"module", "class_name", "config", "registered_name"}`.
 * Keras 2.2.4 has no GlorotUniform/HeNormal/... classes (they are factory functions returning
 * VarianceScaling), so those become the VarianceScaling they stand for.
 */
import { atLeast, isKeras3, type Target } from '../targets.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** VarianceScaling parameters of the named initializers (Keras 2.2.4 `initializers.py`). */
const VARIANCE_SCALING: Record<string, { scale: number; mode: string; distribution: string }> = {
  GlorotUniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  GlorotNormal: { scale: 1, mode: 'fan_avg', distribution: 'normal' },
  HeUniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  HeNormal: { scale: 2, mode: 'fan_in', distribution: 'normal' },
  LecunUniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  LecunNormal: { scale: 1, mode: 'fan_in', distribution: 'normal' },
};

/** Keras 1 / lower-case function names for initializers, as written in old configs. */
const INITIALIZER_NAMES: Record<string, string> = {
  glorot_uniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  he_uniform: 'HeUniform',
  he_normal: 'HeNormal',
  lecun_uniform: 'LecunUniform',
  lecun_normal: 'LecunNormal',
  zero: 'Zeros',
  zeros: 'Zeros',
  one: 'Ones',
  ones: 'Ones',
  uniform: 'RandomUniform',
  normal: 'RandomNormal',
  orthogonal: 'Orthogonal',
  identity: 'Identity',
};

export type ObjectKind = 'initializers' | 'regularizers' | 'constraints';

/** Whether the target writes nested objects with `module` / `registered_name`. */
function modern(target: Target): boolean {
  return isKeras3(target) || atLeast(target, 'tfkeras', 13) && target.family === 'tfkeras';
}

/**
 * The orthogonal initializer (recurrent kernels' default) has two class names: Keras 2 and tf.keras
 * know only `Orthogonal`; Keras 3.0-3.5 know only `OrthogonalInitializer` and write it; later Keras 3
 * accept both, and 3.12 on write `Orthogonal` (docs/writers.md, "Initializer names").
 */
function orthogonalName(className: string, target: Target): string {
  if (className !== 'Orthogonal' && className !== 'OrthogonalInitializer') return className;
  return isKeras3(target) && target.version[1] < 12 ? 'OrthogonalInitializer' : 'Orthogonal';
}

/** Translates one initializer/regularizer/constraint value (null, name string or dict). */
export function convertObject(value: unknown, kind: ObjectKind, target: Target): Json {
  if (value === null || value === undefined) return null;
  let className: string;
  let config: JsonObject;
  if (typeof value === 'string') {
    className = kind === 'initializers' ? (INITIALIZER_NAMES[value] ?? value) : value;
    config = {};
  } else if (isObject(value) && typeof value.class_name === 'string') {
    className = value.class_name;
    config = isObject(value.config) ? { ...value.config } : {};
  } else {
    return value as Json;
  }
  // TF 1.x wrote "dtype" inside initializer configs; no other Keras accepts it.
  if (kind === 'initializers') delete config.dtype;
  // Keras 3.15 added input_axes/output_axes to VarianceScaling-family configs.
  if (!(isKeras3(target) && target.version[1] >= 15)) {
    if (config.input_axes === null) delete config.input_axes;
    if (config.output_axes === null) delete config.output_axes;
  } else if (kind === 'initializers' && (className in VARIANCE_SCALING || className === 'VarianceScaling')) {
    if (!('input_axes' in config)) config.input_axes = null;
    if (!('output_axes' in config)) config.output_axes = null;
  }
  if (target.family === 'keras2' && kind === 'initializers' && className in VARIANCE_SCALING) {
    config = { ...VARIANCE_SCALING[className], seed: config.seed ?? null };
    className = 'VarianceScaling';
  }
  // Keras 2.2.4 knows 'normal' (already truncated) and 'uniform' only.
  if (target.family === 'keras2' && className === 'VarianceScaling' && config.distribution === 'truncated_normal') {
    config.distribution = 'normal';
  }
  if (kind === 'initializers' && (className in VARIANCE_SCALING) && !('seed' in config)) config.seed = null;
  if (kind === 'initializers') className = orthogonalName(className, target);
  if (modern(target)) {
    return { module: `keras.${kind}`, class_name: className, config, registered_name: null };
  }
  return { class_name: className, config };
}

/** A layer's dtype in the target's dialect: a name string, or (Keras >= 3.4) a DTypePolicy dict. */
export function convertDtype(value: unknown, target: Target, fallback = 'float32'): Json {
  const name = dtypeName(value) ?? fallback;
  if (isKeras3(target) && target.version[1] >= 4) {
    return { module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null };
  }
  return name;
}

/** The policy name of a dtype value in any dialect. */
export function dtypeName(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    const cfg = value.config;
    if (isObject(cfg) && typeof cfg.name === 'string') return cfg.name;
  }
  return null;
}

/** The kind of nested object a config key holds (`kernel_initializer` → initializers), or null. */
export function objectKind(key: string): ObjectKind | null {
  if (key.endsWith('_initializer')) return 'initializers';
  if (key.endsWith('_regularizer')) return 'regularizers';
  if (key.endsWith('_constraint')) return 'constraints';
  return null;
}
