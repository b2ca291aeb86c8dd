/**
 * The one vocabulary of model file formats. Every place that names a format uses these names:
 * `load` (a graph's `provenance.format`, `inspect`'s `format`), `save({format})` and
 * `kconv convert --to`, `kconv verify` and case.json, the writers and their read-back check, and
 * the docs. The other spellings that existed before are accepted only through the alias tables
 * below, each in one place.
 *
 * No imports: src/formats, src/keras, src/tf and the API all import this module.
 */

export interface ModelFormatInfo {
  /** What kind of file it is, and who writes it. */
  description: string;
  /** The extension kconv gives a file it writes in this format (never used to recognize one). */
  extension?: string;
  /** Whether `save` / `kconv convert --to` can write it. */
  writable: boolean;
  /** Needs the architecture (`model.to_json()`, or a TF1 layer description) to become a model. */
  needsArchitecture?: boolean;
}

export const MODEL_FORMATS = {
  'keras-h5': {
    description: 'legacy Keras HDF5 full model (model.save to .h5): Keras 1.x, 2.x, tf.keras, tf_keras, Keras 3 legacy writer',
    extension: '.h5',
    writable: true,
  },
  'keras-h5-weights': {
    description: 'legacy Keras HDF5 weights only (save_weights to .h5), with the model.to_json() architecture',
    extension: '.h5',
    writable: true,
    needsArchitecture: true,
  },
  'keras-v3': {
    description: 'Keras v3 .keras zip archive (Keras 3, tf.keras 2.12+), or its unzipped directory',
    extension: '.keras',
    writable: true,
  },
  'keras-v3-weights': {
    description: 'Keras 3 .weights.h5 (weights only), with the model.to_json() architecture',
    extension: '.weights.h5',
    writable: true,
    needsArchitecture: true,
  },
  'keras-v3-sharded-weights': {
    description: 'Keras 3 sharded weights (.weights.json index and its shards), with the model.to_json() architecture',
    writable: false,
    needsArchitecture: true,
  },
  'tf1-checkpoint': {
    description: 'TensorFlow 1 name-based checkpoint (V1 or V2 bundle) with its .meta graph, a SavedModel, or a layer description',
    writable: false,
  },
  'tf2-checkpoint': {
    description: 'TensorFlow 2 object-based checkpoint (save_weights with save_format="tf"), with the model.to_json() architecture',
    writable: false,
    needsArchitecture: true,
  },
  'tf-checkpoint-tensors': {
    description: 'a TensorFlow checkpoint that is not a model kconv can build, listed tensor by tensor (kconv inspect)',
    writable: false,
  },
  kir: {
    description: "kconv's own IR file (flatbuffers): the canonical graph and its weights",
    extension: '.kir',
    writable: true,
  },
  onnx: {
    description: 'ONNX model for onnxruntime and other ONNX runtimes, at the lowest opset that holds it (docs/onnx.md); kconv writes it, it does not read it',
    extension: '.onnx',
    writable: true,
  },
} as const satisfies Record<string, ModelFormatInfo>;

export type ModelFormat = keyof typeof MODEL_FORMATS;

/** The formats `save` and `kconv convert --to` write. */
export const WRITE_FORMATS = ['keras-v3', 'keras-h5', 'keras-v3-weights', 'keras-h5-weights', 'kir', 'onnx'] as const satisfies readonly ModelFormat[];
export type WriteFormat = (typeof WRITE_FORMATS)[number];

export function isWriteFormat(name: string): name is WriteFormat {
  return (WRITE_FORMATS as readonly string[]).includes(name);
}

/**
 * `--to` / `save({format})` names of kconv 0.1 (`keras3`, `keras2`, `weights`), still accepted
 * with a warning so scripts keep working. `weights` meant the Keras 3 `.weights.h5` for a Keras 3
 * target (the default), else the legacy `save_weights` file.
 */
export const DEPRECATED_WRITE_ALIASES: Record<string, (keras3Target: boolean) => WriteFormat> = {
  keras3: () => 'keras-v3',
  keras2: () => 'keras-h5',
  weights: (keras3Target) => (keras3Target ? 'keras-v3-weights' : 'keras-h5-weights'),
};

/**
 * The canonical name for a `--to` / `save({format})` value, with a warning when it is a
 * deprecated alias; undefined when it is neither. `keras3Target`: whether the file is for Keras 3.
 */
export function resolveWriteFormat(name: string, keras3Target: boolean): { format: WriteFormat; warning?: string } | undefined {
  if (isWriteFormat(name)) return { format: name };
  const alias = Object.hasOwn(DEPRECATED_WRITE_ALIASES, name) ? DEPRECATED_WRITE_ALIASES[name] : undefined;
  if (!alias) return undefined;
  const format = alias(keras3Target);
  return { format, warning: `format '${name}' is deprecated: use '${format}'` };
}

/**
 * The short names the fixture generators (fixtures/generate/) write in case.json `format` and in
 * case directory names (`…--keras2-keras`). The committed fixtures keep them; `kconv verify` and
 * the tests read them through this table. `keras2-keras` is a `.keras` written by tf.keras 2.13+;
 * `tf1-ckpt-nometa` a TF1 checkpoint without its graph (read with the case's layer description).
 */
export const FIXTURE_FORMAT_ALIASES: Record<string, ModelFormat> = {
  h5: 'keras-h5',
  'h5-weights': 'keras-h5-weights',
  keras: 'keras-v3',
  'keras2-keras': 'keras-v3',
  'weights-h5': 'keras-v3-weights',
  'tf1-ckpt': 'tf1-checkpoint',
  'tf1-ckpt-nometa': 'tf1-checkpoint',
  'tf2-ckpt': 'tf2-checkpoint',
};

/** A case.json `format` in the vocabulary above (a fixture short name is translated); other values are returned as they are. */
export function caseFormat(name: string): string {
  if (Object.hasOwn(MODEL_FORMATS, name)) return name;
  return Object.hasOwn(FIXTURE_FORMAT_ALIASES, name) ? FIXTURE_FORMAT_ALIASES[name] : name;
}

/** The file extension kconv gives a file written in `format`. */
export function extensionOf(format: WriteFormat): string {
  return MODEL_FORMATS[format].extension;
}
