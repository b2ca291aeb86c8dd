/**
 * The JSON documents of a Keras v3 save: `config.json` (`serialize_keras_object(model)`),
 * `metadata.json`, a `model.to_json()` architecture, and a sharded `.weights.json` index.
 * Facts: docs/keras-formats.md §2.1, §2.4, §2.6, §2.7.
 *
 * Only what is specific to these documents lives here; layer configs (DTypePolicy objects,
 * `module`/`registered_name` on nested objects, `__keras_tensor__` nodes) are the shared Keras
 * dialect's business (model-config.ts / layers.ts), because Keras 3 writes the same layer configs
 * inside legacy `.h5` files.
 *
 * The top-level object of `config.json` is `{module, class_name, config, registered_name,
 * build_config, compile_config}`; `shared_object_id` appears on any object serialized twice, with
 * the full config at every occurrence, so it needs no resolving. Keras 3.0.0 and 3.0.1 wrote every
 * class with its Python module (`keras.layers.convolutional.conv1d`) and `registered_name` equal
 * to the class name (a missing `return` in `get_name_from_symbol`): classes are therefore
 * resolved by `class_name` alone, never by `module`.
 */
import { KconvError } from '../../errors.js';
import type { KerasGeneration } from '../generation.js';
import { generationFromConfig, generationOf } from '../generation.js';
import { parseJsonSafely } from '../../limits.js';

export type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses JSON bytes or text, failing with `code` and the document's name. */
export function parseJsonDocument(input: Uint8Array | string, where: string, code: 'BAD_CONFIG' | 'CORRUPT_FILE' = 'BAD_CONFIG', file?: string): unknown {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  return parseJsonSafely(text, { where, file, code });
}

/** A model config from `config.json` or `to_json()`, split into what the dialect reads and what provenance keeps. */
export interface KerasModelDocument {
  /** `{class_name, config, …}` of the model, as written (the dialect reads it). */
  model: Json;
  /** `compile_config` (Keras 3 / 2.13+), or Keras 2's `training_config`, when non-empty. */
  trainingConfig?: unknown;
  /** `keras_version` / `backend` written inside the JSON (Keras 2 `to_json()` only). */
  kerasVersion?: string;
  backend?: string;
  /** True for the Keras 3.0.0/3.0.1 serializer bug (module = Python module, registered_name = class). */
  moduleQuirk: boolean;
}

/**
 * A Keras 3.0.0/3.0.1 module: the private module of a built-in class. The git tree of 3.0 has
 * `keras.layers.convolutional.conv1d`; the released wheels (code under `keras/src`) write
 * `keras.src.layers.convolutional.conv1d`, `keras.src.models.sequential` (seen in files saved by
 * pip's keras 3.0.1). Functional is excluded: it is not exported, so every release writes its
 * private module (`keras.src.models.functional`, tf.keras's `keras.src.engine.functional`) with
 * registered_name "Functional". Ops (`keras.src.ops.*` nodes of a Functional) are not classes of
 * these packages.
 */
const QUIRK_MODULE = /^keras\.(src\.)?(layers|models|initializers|regularizers|constraints|activations|losses|metrics|optimizers|dtype_policies)\.[a-z_.]+$/;

/** Reads the model object of `config.json` / an architecture JSON, checking its shape. */
export function readModelDocument(doc: unknown, where: string, file?: string): KerasModelDocument {
  if (!isObject(doc)) {
    throw new KconvError('BAD_CONFIG', `expected a JSON object describing the model, found ${Array.isArray(doc) ? 'an array' : typeof doc}`, { where, file });
  }
  if (typeof doc.class_name !== 'string') {
    throw new KconvError('BAD_CONFIG', `expected the model's 'class_name' (e.g. "Sequential", "Functional"), found ${JSON.stringify(doc.class_name)}`, {
      where: `${where}.class_name`,
      file,
    });
  }
  if (!isObject(doc.config) && !Array.isArray(doc.config)) {
    throw new KconvError('BAD_CONFIG', `expected the model's 'config' object, found ${JSON.stringify(doc.config)?.slice(0, 60)}`, { where: `${where}.config`, file });
  }
  const training = doc.compile_config ?? doc.training_config;
  const out: KerasModelDocument = { model: doc, moduleQuirk: hasModuleQuirk(doc) };
  if (training !== undefined && training !== null && !(isObject(training) && Object.keys(training).length === 0)) out.trainingConfig = training;
  if (typeof doc.keras_version === 'string') out.kerasVersion = doc.keras_version;
  if (typeof doc.backend === 'string') out.backend = doc.backend;
  return out;
}

/** Keras 3.0.0/3.0.1: a built-in class written with its private module and itself as registered name. */
function hasModuleQuirk(doc: Json): boolean {
  const layers = isObject(doc.config) && Array.isArray(doc.config.layers) ? doc.config.layers : [];
  return [doc, ...layers].some(
    (o) => isObject(o) && o.class_name !== 'Functional' && typeof o.module === 'string' && QUIRK_MODULE.test(o.module) && o.registered_name === o.class_name,
  );
}

/** `metadata.json`: `{"keras_version": "3.6.0", "date_saved": "2024-11-16@22:23:07"}`. */
export interface KerasMetadata {
  kerasVersion?: string;
  dateSaved?: string;
  raw: Json;
}

export function readMetadata(doc: unknown, file?: string): KerasMetadata {
  if (!isObject(doc)) throw new KconvError('BAD_CONFIG', `expected metadata.json to hold a JSON object, found ${JSON.stringify(doc)?.slice(0, 60)}`, { where: 'metadata.json', file });
  const out: KerasMetadata = { raw: doc };
  if (typeof doc.keras_version === 'string') out.kerasVersion = doc.keras_version;
  if (typeof doc.date_saved === 'string') out.dateSaved = doc.date_saved;
  return out;
}

/** The generation that wrote a v3-style save: from its recorded version, else guessed from the config. */
export function v3Generation(kerasVersion: string | undefined, model: unknown): KerasGeneration {
  if (kerasVersion) return generationOf(kerasVersion);
  const guessed = generationFromConfig(model);
  // A v3-style save without a version is Keras 3 or tf.keras 2.12+; never Keras 1 or 2.0–2.3.
  return guessed === 'keras3' ? 'keras3' : 'tf-keras';
}

/** A sharded-weights index (`x.weights.json`, Keras ≥ 3.10): shard file names in first-use order. */
export function readShardIndex(doc: unknown, file?: string): string[] {
  const map = isObject(doc) ? doc.weight_map : undefined;
  if (!isObject(map)) {
    throw new KconvError('BAD_CONFIG', `expected a sharded-weights index with a 'weight_map' object, found ${JSON.stringify(doc)?.slice(0, 80)}`, { where: 'weight_map', file });
  }
  const shards: string[] = [];
  for (const [path, value] of Object.entries(map)) {
    const names = Array.isArray(value) ? value : [value];
    for (const name of names) {
      if (typeof name !== 'string' || name.length === 0 || name.includes('/') || name.includes('\\')) {
        throw new KconvError('BAD_CONFIG', `expected a shard file name, found ${JSON.stringify(name)}`, { where: `weight_map["${path}"]`, file });
      }
      if (!shards.includes(name)) shards.push(name);
    }
  }
  return shards;
}
