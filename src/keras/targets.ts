/**
 * The target table: which Keras (and which version of it) a writer produces a file for, and what
 * each target can express. A model that a target cannot express is refused with
 * NOT_REPRESENTABLE, naming the layer, the feature and the oldest target that can take it: a
 * file is never written half right.
 *
 * Targets are (family, version) pairs. Families, oldest first:
 * - `keras2`: standalone multi-backend Keras 2.x (the 2.2.4 era; class name `Model`, no `groups`,
 *   `VarianceScaling` instead of `GlorotUniform`, no InputLayer in Sequential configs).
 * - `tfkeras`: tf.keras 2.x shipped with TensorFlow 2.x, and `tf_keras` (the Keras 2 package for
 *   TF >= 2.16). `Functional` from TF 2.3 (`Model` before), `groups` from TF 2.3.
 * - `keras3`: Keras 3.x. Module names `keras.models.functional` in 3.0–3.2, `keras.src.…` from 3.3;
 *   legacy-h5 weight names `kernel` (3.0–3.2) vs `conv1d/kernel` (3.3+); dtype policy dicts from
 *   3.4; `vars/@name` from 3.6; InputLayer `ragged` from 3.9, `optional` from 3.13.
 *
 * Sources for every boundary: docs/keras-formats.md §1–§5 (git-tag checked). Where
 * the boundary is not checked against a tagged source, `verified: false` says so.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import type { ActivationFn } from '../ir/ops/index.js';

export type Family = 'keras2' | 'tfkeras' | 'keras3';

export interface Target {
  /** Canonical id, e.g. 'keras-2.2.4', 'tf-keras-2.15', 'keras-3.0', 'keras-3.15'. */
  id: string;
  family: Family;
  /** [major, minor, patch] of the Keras (tf.keras: TensorFlow) version this target stands for. */
  version: [number, number, number];
  /** The `keras_version` string written into files for this target. */
  kerasVersion: string;
}

const FAMILY_ORDER: Family[] = ['keras2', 'tfkeras', 'keras3'];

/** Ids a user may type, mapped to canonical targets. */
const ALIASES: Record<string, string> = {
  'keras-2': 'keras-2.2.4',
  'keras-2.2.4': 'keras-2.2.4',
  keras2: 'keras-2.2.4',
  'tf-keras': 'tf-keras-2.15',
  'tf-keras-2': 'tf-keras-2.15',
  'tf-keras-2.x': 'tf-keras-2.15',
  tf_keras: 'tf-keras-2.21',
  'tf-keras-2.21': 'tf-keras-2.21',
  'keras-3': 'keras-3.15',
  keras3: 'keras-3.15',
  'keras-3.3+': 'keras-3.15',
  'keras-3.0': 'keras-3.0',
  'keras-3.0-3.2': 'keras-3.0',
};

/** The newest version of each family that this table describes. */
const NEWEST: Record<Family, [number, number, number]> = {
  keras2: [2, 3, 1],
  tfkeras: [2, 21, 0],
  keras3: [3, 15, 1],
};

export const TARGET_IDS = ['keras-2.2.4', 'tf-keras-2.2', 'tf-keras-2.13', 'tf-keras-2.15', 'tf_keras', 'keras-3.0', 'keras-3.2', 'keras-3.3', 'keras-3'] as const;

/**
 * Parses a target id: an alias above, or `keras-2.<m>[.<p>]` (standalone), `tf-keras-2.<m>`,
 * `keras-3.<m>[.<p>]`.
 */
export function parseTarget(id: string): Target {
  const canonical = ALIASES[id] ?? id;
  let m = /^keras-(2)\.(\d+)(?:\.(\d+))?$/.exec(canonical);
  if (m) return make(canonical, 'keras2', m, (v) => v.join('.'));
  m = /^tf-keras-(2)\.(\d+)(?:\.(\d+))?$/.exec(canonical);
  if (m) return make(canonical, 'tfkeras', m, (v) => `${v[0]}.${v[1]}.${v[2]}`);
  m = /^keras-(3)\.(\d+)(?:\.(\d+))?$/.exec(canonical);
  if (m) return make(canonical, 'keras3', m, (v) => v.join('.'));
  throw new KconvError(
    'USAGE',
    `unknown target '${id}': expected one of ${[...TARGET_IDS].join(', ')} (or keras-2.<m>, tf-keras-2.<m>, keras-3.<m>)`,
  );
}

function make(id: string, family: Family, m: RegExpExecArray, str: (v: [number, number, number]) => string): Target {
  const version: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (family === 'keras2' && (version[1] > 3 || version[1] < 0)) {
    throw new KconvError('USAGE', `standalone Keras 2 ends at 2.3.1; '${id}' is not a release (use tf-keras-2.<m> for tf.keras)`);
  }
  if (family === 'keras3' && m[3] === undefined && id === 'keras-3.15') version[2] = NEWEST.keras3[2];
  return { id, family, version, kerasVersion: keras_version(family, version, str) };
}

/** What that Keras writes as `keras_version` (tf.keras before 2.6 had its own numbering). */
function keras_version(family: Family, v: [number, number, number], str: (v: [number, number, number]) => string): string {
  if (family !== 'tfkeras' || v[1] >= 6) return str(v);
  return v[1] >= 3 ? '2.4.0' : '2.3.0-tf';
}

export function atLeast(t: Target, family: Family, minor: number): boolean {
  const fi = FAMILY_ORDER.indexOf(t.family);
  const gi = FAMILY_ORDER.indexOf(family);
  if (fi !== gi) return fi > gi;
  return t.version[1] >= minor;
}

/** Keras 2 dialect (standalone or tf.keras) vs Keras 3. */
export function isKeras3(t: Target): boolean {
  return t.family === 'keras3';
}

/**
 * Where a feature first appears in each family; absent = never in that family. Minor versions
 * (2.x / 3.x). `verified: false` marks boundaries not checked against tagged sources.
 */
export interface Feature {
  name: string;
  since: Partial<Record<Family, number>>;
  verified: boolean;
}

const ALL: Feature['since'] = { keras2: 0, tfkeras: 0, keras3: 0 };

/**
 * Features that are not one layer family's (activation formulas and names, weight dtypes,
 * nesting). Each codec in src/keras/layers/ lists its own family's features.
 */
export const FEATURES = {
  // Keras 2 hard_sigmoid is clip(0.2x + 0.5); Keras 3's is relu6(x + 3) / 6. Same name, other function.
  hardSigmoidKeras2: { name: "hard_sigmoid with slope 0.2 (Keras 2's formula)", since: { keras2: 0, tfkeras: 0 }, verified: true },
  hardSigmoidKeras3: { name: "hard_sigmoid with slope 1/6 (Keras 3's formula)", since: { keras3: 0 }, verified: true },
  explicitPadding: { name: 'explicit padding other than valid/same/causal', since: {}, verified: true },
  gelu_tanh: { name: 'gelu with the tanh approximation as an activation name', since: {}, verified: true },
  // An activation given as a layer object (`Conv1D(activation=LeakyReLU(0.1))`), nested in place
  // of a name. Measured in the fixture envs (docs/writers.md, "Activations given as layer objects"):
  // tf.keras 2.13.1, 2.15 and tf_keras 2.21, Keras 3.12.0 and 3.15.1 reload it; TF 1.13, TF 2.0,
  // Keras 2.3.1 and Keras 3.0.1, 3.2.1, 3.6.0 cannot (not even their own files). The releases
  // between (tf.keras 2.1–2.12, Keras 3.7–3.11) were not measured.
  activationObject: { name: 'an activation given as a layer object', since: { tfkeras: 12, keras3: 12 }, verified: false },
  bfloat16: { name: 'bfloat16 weights', since: { keras3: 1 }, verified: false },
  float16Weights: { name: 'float16 weights', since: ALL, verified: false },
  // Keras 3.0.1 and 3.2.1 cannot load their own files with a Functional nested in a Sequential
  // (the inner model's one-element output list reaches the next layer as a list).
  functionalInSequential: { name: 'a Functional model nested inside a Sequential', since: { keras2: 0, tfkeras: 0, keras3: 3 }, verified: true },
} satisfies Record<string, Feature>;

export type FeatureId = keyof typeof FEATURES;

/** Activation names and the oldest version of each family that knows them. */
export const ACTIVATION_SINCE: Record<ActivationFn, Feature['since']> = {
  linear: ALL,
  relu: ALL,
  tanh: ALL,
  sigmoid: ALL,
  hard_sigmoid: ALL, // formula differs: see FEATURES.hardSigmoidKeras2/3
  softplus: ALL,
  softsign: ALL,
  selu: ALL,
  elu: ALL,
  exponential: ALL,
  softmax: ALL,
  // swish (written 'swish' or, from a Keras 3 source, 'silu'): unknown by either name to standalone
  // Keras 2.3.1 and to the tf.keras of TF 1.13 and 2.0, which `tf-keras-2.2` files must load in;
  // known to TF 2.12 on (measured; docs/writers.md, "Keys older Kerases lack").
  swish: { tfkeras: 3, keras3: 0 },
  gelu: { tfkeras: 4, keras3: 0 },
  // relu6 / log_softmax: tf.keras 2.13 and 2.15 and tf_keras 2.21 save and reload them by name
  // (golden model-activation-extra); older tf.keras not checked.
  relu6: { tfkeras: 13, keras3: 0 },
  leaky_relu: { keras3: 0 },
  hard_silu: { keras3: 0 },
  mish: { tfkeras: 13, keras3: 0 },
  log_softmax: { tfkeras: 13, keras3: 0 },
  gelu_tanh: {},
  thresholded_relu: {},
  // Keras 3.15.1 has these by name, 3.0.1 and 3.2.1 do not (golden model-activation-k3-extra);
  // the releases between were not checked.
  celu: { keras3: 15 },
  glu: { keras3: 15 },
  sparse_plus: { keras3: 15 },
  squareplus: { keras3: 15 },
  soft_shrink: { keras3: 15 },
  hard_shrink: { keras3: 15 },
  tanh_shrink: { keras3: 15 },
  log_sigmoid: { keras3: 15 },
  sparsemax: { keras3: 15 },
  hard_tanh: { keras3: 15 },
};

/** True when the target knows a feature. */
export function supports(t: Target, since: Feature['since']): boolean {
  const min = since[t.family];
  return min !== undefined && t.version[1] >= min;
}

/** The oldest target (as an id) that has a feature, or null when none does. */
export function oldestTargetFor(since: Feature['since']): string | null {
  for (const family of FAMILY_ORDER) {
    const min = since[family];
    if (min === undefined) continue;
    if (family === 'keras2') return min <= 2 ? 'keras-2.2.4' : `keras-2.${min}`;
    if (family === 'tfkeras') return `tf-keras-2.${min}`;
    return `keras-3.${min}`;
  }
  return null;
}

/** Throws NOT_REPRESENTABLE for `node` lacking `feature` in `target`. */
export function refuse(node: Node | { name: string; op: string }, target: Target, feature: string, since: Feature['since']): never {
  const oldest = oldestTargetFor(since);
  const ownMin = since[target.family];
  const own = ownMin !== undefined ? oldestTargetFor({ [target.family]: ownMin }) : null;
  const can = oldest
    ? `the oldest target that can express it is ${oldest}${own && own !== oldest ? ` (${own} in the ${target.family} line)` : ''}`
    : 'no Keras target can express it';
  throw new KconvError(
    'NOT_REPRESENTABLE',
    `layer '${node.name}' (${node.op}) uses ${feature}, which target ${target.id} cannot express; ${can}`,
    { where: node.name },
  );
}

/** Throws NOT_REPRESENTABLE unless `target` has `feature`. */
export function need(node: Node, target: Target, feature: Feature): void {
  if (!supports(target, feature.since)) refuse(node, target, feature.name, feature.since);
}

/**
 * An activation written by its name: refused when no Keras has the function under a name
 * (gelu_tanh), when the target's hard_sigmoid is another formula, or when the target lacks the name.
 * Whether the name carries the activation's parameters is the caller's question
 * (src/keras/layers/activation-value.ts for activations inside layers).
 */
export function checkActivationName(node: Node, target: Target, act: { fn: ActivationFn; alpha?: number }): void {
  if (act.fn === 'gelu_tanh') refuse(node, target, FEATURES.gelu_tanh.name, {});
  if (act.fn === 'hard_sigmoid') {
    const keras3Slope = act.alpha !== undefined && Math.abs(act.alpha - 1 / 6) < 1e-7;
    need(node, target, keras3Slope ? FEATURES.hardSigmoidKeras3 : FEATURES.hardSigmoidKeras2);
    return;
  }
  const since = ACTIVATION_SINCE[act.fn];
  if (!supports(target, since)) refuse(node, target, `activation '${act.fn}'`, since);
}

/** Where two features are both present: the later version of each family that has both. */
export function bothSince(a: Feature['since'], b: Feature['since']): Feature['since'] {
  const out: Feature['since'] = {};
  for (const family of FAMILY_ORDER) {
    const x = a[family];
    const y = b[family];
    if (x !== undefined && y !== undefined) out[family] = Math.max(x, y);
  }
  return out;
}

/** The Keras family a graph was read from, from its recorded keras_version; null if unknown. */
export function sourceFamily(graph: Graph): Family | null {
  const v = graph.provenance.kerasVersion;
  if (!v) return null;
  if (v.startsWith('3')) return 'keras3';
  if (v.endsWith('-tf')) return 'tfkeras';
  const m = /^2\.(\d+)/.exec(v);
  if (m) return Number(m[1]) >= 4 ? 'tfkeras' : 'keras2';
  if (v.startsWith('1')) return 'keras2';
  return null;
}
