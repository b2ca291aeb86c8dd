/**
 * Which Keras generation wrote a config, and the read options every Keras reader shares.
 *
 * Per-version defaults depend on the *writer's* generation (docs/keras-formats.md §3): e.g.
 * `hard_sigmoid` is clip(0.2x + 0.5) in Keras 1/2 and relu6(x + 3) / 6 in Keras 3; Keras 1 uses
 * other config keys (`nb_filter`, `border_mode`, ...) and other weight layouts.
 */
import type { TensorBudget } from '../limits.js';

/**
 * - keras1: Keras 1.x (no or '1.x' keras_version)
 * - keras2: standalone multi-backend Keras 2.0–2.3
 * - tf-keras: tf.keras (TF 1.x '-tf' versions, 2.4–2.15) and tf_keras (2.16+)
 * - keras3: Keras 3.x
 */
export type KerasGeneration = 'keras1' | 'keras2' | 'tf-keras' | 'keras3';

export interface ReadOptions {
  /**
   * Backend that wrote the weights, for files that do not record it (Keras 1). 'theano' flips
   * convolution kernels at import. Default 'tensorflow'; a recorded backend always wins.
   */
  backend?: string;
  /** File name, for error messages and provenance. */
  filename?: string;
  /** Force the generation instead of deriving it from keras_version (used by tests and by readers whose container says). */
  generation?: KerasGeneration;
  /**
   * The load's limits and the tensor bytes read so far (src/limits.ts): every tensor's declared
   * size is checked against it before allocation. Default: DEFAULT_LIMITS, counted per file.
   */
  budget?: TensorBudget;
}

/** The generation of a `keras_version` string; a missing version means Keras 1 (as Keras's own loader assumes). */
export function generationOf(kerasVersion: string | undefined): KerasGeneration {
  if (kerasVersion === undefined || kerasVersion === '') return 'keras1';
  const m = /^(\d+)\.(\d+)/.exec(kerasVersion);
  if (!m) return 'tf-keras';
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major <= 1) return 'keras1';
  if (major >= 3) return 'keras3';
  if (kerasVersion.includes('-tf')) return 'tf-keras';
  return minor <= 3 ? 'keras2' : 'tf-keras';
}

/** Guesses the generation of a config that carries no version (e.g. a bare `to_json()` file). */
export function generationFromConfig(config: unknown): KerasGeneration {
  const text = JSON.stringify(config ?? null);
  // Only what Keras 3 alone writes: InputLayer `batch_shape`, dict-style inbound nodes, DTypePolicy
  // objects. Not `registered_name`/`module`: Keras 2.13+ (and tf_keras) write those too.
  if (/"batch_shape"|"__keras_tensor__"|"DTypePolicy"/.test(text)) return 'keras3';
  if (/"nb_filter"|"output_dim"|"border_mode"|"input_dtype"|"pool_length"/.test(text)) return 'keras1';
  if (/"groups"|"Functional"/.test(text)) return 'tf-keras';
  return 'keras2';
}
