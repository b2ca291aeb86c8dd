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
import type { ActivationFn } from '../ir/ops.js';
import { inferShapes } from './emit/shapes.js';

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

export const FEATURES = {
  groups: { name: 'Conv1D groups > 1', since: { tfkeras: 3, keras3: 0 }, verified: true },
  causalChannelsFirst: { name: "causal padding with data_format 'channels_first'", since: { tfkeras: 0, keras3: 0 }, verified: true },
  conv1dTranspose: { name: 'Conv1DTranspose layer', since: { tfkeras: 3, keras3: 0 }, verified: false },
  depthwiseConv1D: { name: 'DepthwiseConv1D layer', since: { tfkeras: 9, keras3: 0 }, verified: false },
  layerNormalization: { name: 'LayerNormalization layer', since: { tfkeras: 0, keras3: 0 }, verified: false },
  rmsScaling: { name: 'LayerNormalization rms_scaling', since: { keras3: 0 }, verified: false },
  // Keras 3.0.1/3.2.1 refuse an explicit output_padding when loading (they require values > 0).
  conv1dTransposeOutputPadding: { name: 'Conv1DTranspose output_padding', since: { tfkeras: 3, keras3: 3 }, verified: false },
  globalPoolKeepdims: { name: 'global pooling keepdims=True', since: { tfkeras: 6, keras3: 0 }, verified: false },
  // Keras 2 hard_sigmoid is clip(0.2x + 0.5); Keras 3's is relu6(x + 3) / 6. Same name, other function.
  hardSigmoidKeras2: { name: "hard_sigmoid with slope 0.2 (Keras 2's formula)", since: { keras2: 0, tfkeras: 0 }, verified: true },
  hardSigmoidKeras3: { name: "hard_sigmoid with slope 1/6 (Keras 3's formula)", since: { keras3: 0 }, verified: true },
  thresholdedRelu: { name: 'ThresholdedReLU layer', since: { keras2: 0, tfkeras: 0 }, verified: false },
  stridedDilation: { name: 'strides > 1 together with dilation_rate > 1', since: {}, verified: true },
  explicitPadding: { name: 'explicit padding other than valid/same/causal', since: {}, verified: true },
  gelu_tanh: { name: 'gelu with the tanh approximation as an activation name', since: {}, verified: true },
  activationParams: { name: 'a parameterized activation (alpha/max_value/threshold) inside a layer', since: {}, verified: true },
  bfloat16: { name: 'bfloat16 weights', since: { keras3: 1 }, verified: false },
  float16Weights: { name: 'float16 weights', since: ALL, verified: false },
  // Keras 3.0.1 and 3.2.1 cannot load their own files with a Functional nested in a Sequential
  // (the inner model's one-element output list reaches the next layer as a list).
  functionalInSequential: { name: 'a Functional model nested inside a Sequential', since: { keras2: 0, tfkeras: 0, keras3: 3 }, verified: true },
  // Keras 3.0.1/3.2.1's legacy-h5 loader builds BatchNormalization over the last axis whatever
  // `axis` says (their own .h5 files of such models do not reload either).
  bnAxisLegacyH5: { name: 'BatchNormalization over a non-last axis in a legacy .h5', since: { keras2: 0, tfkeras: 0, keras3: 3 }, verified: true },
  // Keras 3.0.1/3.2.1's legacy-h5 loader rejects Concatenate over a non-last axis (shape check).
  concatAxisLegacyH5: { name: 'Concatenate over a non-last axis in a legacy .h5', since: { keras2: 0, tfkeras: 0, keras3: 3 }, verified: true },
  // Keras 3.15.1 cannot reload LayerNormalization over several axes from a legacy .h5.
  layerNormAxesLegacyH5: { name: 'LayerNormalization over several axes in a legacy .h5', since: { tfkeras: 0 }, verified: true },
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
  swish: { tfkeras: 2, keras3: 0 },
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

function need(node: Node, target: Target, feature: Feature): void {
  if (!supports(target, feature.since)) refuse(node, target, feature.name, feature.since);
}

/** Activations that only have a name (no parameters); refuse the rest inside layers. */
function checkActivationName(node: Node, target: Target, act: { fn: ActivationFn; alpha?: number; maxValue?: number | null; threshold?: number }, inLayer: boolean): void {
  if (act.fn === 'gelu_tanh') refuse(node, target, FEATURES.gelu_tanh.name, {});
  if (act.fn === 'hard_sigmoid') {
    const keras3Slope = act.alpha !== undefined && Math.abs(act.alpha - 1 / 6) < 1e-7;
    need(node, target, keras3Slope ? FEATURES.hardSigmoidKeras3 : FEATURES.hardSigmoidKeras2);
    return;
  }
  if (inLayer) {
    const parametrized =
      (act.fn === 'relu' && ((act.alpha ?? 0) !== 0 || (act.maxValue ?? null) !== null || (act.threshold ?? 0) !== 0)) ||
      (act.fn === 'elu' && (act.alpha ?? 1) !== 1) ||
      act.fn === 'leaky_relu' ||
      act.fn === 'thresholded_relu';
    if (parametrized) refuse(node, target, `${FEATURES.activationParams.name} (${act.fn})`, {});
  }
  const since = ACTIVATION_SINCE[act.fn];
  if (!supports(target, since)) refuse(node, target, `activation '${act.fn}'`, since);
}

/** Keras's padding string for a window op, or null when Keras has none for it. */
export function kerasPadding(node: Node): 'valid' | 'same' | 'causal' | null {
  const a = node.attrs as { padding?: unknown; kernelSize?: number; dilation?: number; poolSize?: number };
  const p = a.padding as { kind: string; before?: number; after?: number } | string | undefined;
  if (typeof p === 'string') return p as 'valid' | 'same';
  if (!p) return null;
  if (p.kind === 'same') return 'same';
  if (p.before === 0 && p.after === 0) {
    const original = node.keras?.config?.padding;
    return original === 'causal' ? 'causal' : 'valid';
  }
  if (node.op === 'Conv1D' || node.op === 'SeparableConv1D' || node.op === 'DepthwiseConv1D') {
    const k = a.kernelSize ?? 1;
    const d = a.dilation ?? 1;
    if (p.after === 0 && p.before === d * (k - 1)) return 'causal';
  }
  return null;
}

/**
 * Checks that `target` can express every node of `graph`; throws NOT_REPRESENTABLE on the first
 * node that it cannot.
 */
export function checkRepresentable(graph: Graph, target: Target, format?: string): void {
  checkNesting(graph, target);
  if (format === 'h5') checkLegacyH5(graph, target);
  for (const w of graph.weights.values()) {
    if (w.dtype === 'bfloat16' && !supports(target, FEATURES.bfloat16.since)) {
      refuse({ name: 'weights', op: 'Graph' }, target, FEATURES.bfloat16.name, FEATURES.bfloat16.since);
    }
  }
  for (const node of graph.nodes) checkNode(node, target, graph);
}

/** Nested Functional inside Sequential (by the classes recorded in provenance). */
function checkNesting(graph: Graph, target: Target): void {
  const scopes = graph.provenance.scopes ?? {};
  const classOf = (path: string[]): string | undefined =>
    path.length === 0 ? graph.provenance.model?.className : (scopes[path.join('/')] ?? scopes[path[path.length - 1]])?.className;
  for (const node of graph.nodes) {
    const scope = node.keras?.scope ?? [];
    for (let i = 1; i <= scope.length; i++) {
      const inner = classOf(scope.slice(0, i));
      const outer = classOf(scope.slice(0, i - 1));
      if ((inner === 'Functional' || inner === 'Model') && outer === 'Sequential' && !supports(target, FEATURES.functionalInSequential.since)) {
        refuse({ name: scope[i - 1], op: inner }, target, FEATURES.functionalInSequential.name, FEATURES.functionalInSequential.since);
      }
    }
  }
}

/** What Keras versions' legacy-h5 loaders get wrong (found by loading kconv's files in them). */
function checkLegacyH5(graph: Graph, target: Target): void {
  let shapes: ReturnType<typeof inferShapes> | undefined;
  const rankOf = (v: string) => (shapes ??= inferShapes(graph)).get(v)?.length;
  const isLastAxis = (axis: number, rank: number | undefined) => rank !== undefined && (axis < 0 ? rank + axis : axis) === rank - 1;
  for (const node of graph.nodes) {
    if (node.op === 'BatchNormalization' && !supports(target, FEATURES.bnAxisLegacyH5.since)) {
      if (!isLastAxis(node.attrs.axis, rankOf(node.inputs[0]))) refuse(node, target, FEATURES.bnAxisLegacyH5.name, FEATURES.bnAxisLegacyH5.since);
    }
    if (node.op === 'Concatenate' && !supports(target, FEATURES.concatAxisLegacyH5.since)) {
      if (!isLastAxis(node.attrs.axis, rankOf(node.inputs[0]))) refuse(node, target, FEATURES.concatAxisLegacyH5.name, FEATURES.concatAxisLegacyH5.since);
    }
    if (node.op === 'LayerNormalization' && node.attrs.axes.length > 1) need(node, target, FEATURES.layerNormAxesLegacyH5);
  }
}

function checkNode(node: Node, target: Target, graph: Graph): void {
  switch (node.op) {
    case 'Conv1D':
    case 'SeparableConv1D':
    case 'DepthwiseConv1D': {
      const a = node.attrs;
      if (node.op === 'DepthwiseConv1D') need(node, target, FEATURES.depthwiseConv1D);
      const padding = kerasPadding(node);
      if (padding === null) {
        const p = a.padding as { before: number; after: number };
        refuse(node, target, `${FEATURES.explicitPadding.name} (before ${p.before}, after ${p.after})`, {});
      }
      if (padding === 'causal' && node.op === 'DepthwiseConv1D') {
        refuse(node, target, 'causal padding on DepthwiseConv1D', {});
      }
      if (padding === 'causal' && a.layout === 'NCW') need(node, target, FEATURES.causalChannelsFirst);
      if (a.stride > 1 && a.dilation > 1) refuse(node, target, FEATURES.stridedDilation.name, {});
      if (node.op === 'Conv1D' && node.attrs.groups > 1) need(node, target, FEATURES.groups);
      checkActivationName(node, target, a.activation, true);
      return;
    }
    case 'Conv1DTranspose':
      need(node, target, FEATURES.conv1dTranspose);
      if (node.attrs.outputPadding !== null) need(node, target, FEATURES.conv1dTransposeOutputPadding);
      checkActivationName(node, target, node.attrs.activation, true);
      return;
    case 'Dense':
      checkActivationName(node, target, node.attrs.activation, true);
      return;
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const p = node.attrs.padding;
      if (p.kind === 'explicit' && (p.before !== 0 || p.after !== 0)) {
        refuse(node, target, `${FEATURES.explicitPadding.name} (before ${p.before}, after ${p.after})`, {});
      }
      return;
    }
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling1D':
      if (node.attrs.keepDims) need(node, target, FEATURES.globalPoolKeepdims);
      return;
    case 'LayerNormalization':
      need(node, target, FEATURES.layerNormalization);
      if (node.attrs.rmsScaling) need(node, target, FEATURES.rmsScaling);
      return;
    case 'Activation': {
      const act = node.attrs.activation;
      if (act.fn === 'thresholded_relu') {
        need(node, target, FEATURES.thresholdedRelu);
        return;
      }
      // leaky_relu / relu with parameters / elu alpha become their layer classes (LeakyReLU, ReLU, ELU).
      if (act.fn === 'leaky_relu' || act.fn === 'relu' || act.fn === 'elu' || act.fn === 'softmax') return;
      checkActivationName(node, target, act, false);
      return;
    }
    case 'Unsupported': {
      const source = sourceFamily(graph);
      if (source !== null && source !== target.family) {
        refuse(node, target, `the layer class '${node.attrs.className}' that kconv cannot translate between Keras generations`, { [source]: 0 });
      }
      return;
    }
    default:
      return;
  }
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
