/**
 * Keras's `Normalization` preprocessing layer (tf.keras 2.6+ `keras.layers.Normalization`,
 * Keras 3), as saved inside models: statistics either adapted (stored as the weights `mean`,
 * `variance`, `count`) or given to the constructor (stored in the config as numbers or lists).
 * Both become the IR op's mean/variance weights; an adapted layer's `count` is kept as a third
 * weight. Written back the same way: with a count, as adapted variables (`mean: null` in the
 * config); without one, as config statistics. Checked against real Keras in model-normalization
 * (tf.keras 2.13/2.15, tf_keras 2.21, Keras 3.0/3.2/3.15), reading and writing.
 */
import { KconvError } from '../../errors.js';
import type { NodeOf } from '../../ir/graph.js';
import { tensor, toFloat32, type Tensor } from '../../tensor.js';
import type { ConfigReader } from '../config-values.js';
import type { Json } from '../emit/objects.js';
import { need, supports, type Feature } from '../targets.js';
import { axisValue, codec, mapped, sourceConfig, type EmitContext } from './codec.js';

/**
 * `keras.layers.Normalization` (mean/variance as config or adapted variables) from tf.keras 2.6;
 * `invert` is a constructor argument in tf.keras 2.12 (its installed wheel; older releases not
 * checked) and Keras 3. Neither exists in standalone Keras 2 or tf.keras 2.2.
 */
export const PREPROCESSING_NORMALIZATION_FEATURES = {
  preprocessingNormalization: { name: 'the Normalization preprocessing layer', since: { tfkeras: 6, keras3: 0 }, verified: false },
  normalizationInvert: { name: 'Normalization invert=True', since: { tfkeras: 12, keras3: 0 }, verified: false },
  // Keras 3's legacy-h5 loader sets the adapted variables without finalize_state before 3.6, so
  // the layer computes with its build-time zeros and ones (docs/writers.md); 3.0.1 and 3.2.1
  // fail here, 3.12 and 3.15 load right, 3.3-3.5 not checked
  normalizationAdaptedLegacyH5: { name: 'adapted Normalization statistics in a legacy .h5', since: { tfkeras: 6, keras3: 6 }, verified: false },
} satisfies Record<string, Feature>;

/** Keras's backend epsilon (`keras.backend.epsilon()`), the floor of the standard deviation. */
const KERAS_EPSILON = 1e-7;

/** A config statistic: a number or a (nested) list of numbers, as float32 of its own shape. */
function statistic(cfg: ConfigReader, key: string): Tensor {
  const v = cfg.config[key];
  const shape: number[] = [];
  let probe: unknown = v;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat = (Array.isArray(v) ? (v as unknown[]).flat(shape.length) : [v]) as unknown[];
  if (!flat.every((x) => typeof x === 'number')) cfg.fail(key, 'a number or a list of numbers');
  // one value per kept position: a [C] list, or a scalar for all
  const values = Float32Array.from(flat as number[]);
  return tensor('float32', values.length === 1 ? [] : [values.length], values);
}

export const preprocessingNormalizationCodec = codec({
  classes: ['Normalization'],
  ops: ['Normalization'],
  read(_className, cfg, w) {
    const axisRaw = cfg.config.axis;
    const axes = axisRaw === null ? [] : cfg.axes('axis', [-1]);
    const invert = cfg.bool('invert', false);
    let mean: Tensor;
    let variance: Tensor;
    if (cfg.has('mean') || cfg.has('variance')) {
      if (!cfg.has('mean') || !cfg.has('variance')) throw new KconvError('BAD_CONFIG', 'Normalization gives only one of mean and variance', { where: cfg.where });
      w.none();
      mean = statistic(cfg, 'mean');
      variance = statistic(cfg, 'variance');
    } else {
      // adapted: mean, variance, count (Keras 2 names them; Keras 3 stores vars/0..2 in that order)
      const byName = (part: string) => w.stored.find((s) => s.name.replace(/:\d+$/, '').split('/').pop() === part);
      const stored = byName('mean') && byName('variance') ? [byName('mean')!, byName('variance')!] : w.stored.slice(0, 2);
      if (stored.length !== 2 || (w.stored.length !== 2 && w.stored.length !== 3)) {
        throw new KconvError('BAD_WEIGHTS', `Normalization: expected its weights mean, variance (and count), found [${w.stored.map((s) => s.name).join(', ')}]`, { where: cfg.where });
      }
      [mean, variance] = stored.map((s) => s.tensor);
      // the adapted sample count (Keras's third variable), kept so the layer is written back whole
      const count = byName('count') ?? (w.stored.length === 3 ? w.stored[2] : undefined);
      return mapped('Normalization', { axes, invert, epsilon: KERAS_EPSILON }, { mean, variance, count: count?.tensor });
    }
    return mapped('Normalization', { axes, invert, epsilon: KERAS_EPSILON }, { mean, variance });
  },
  write: {
    Normalization: (node, ctx) => {
      const src = sourceConfig(node);
      const a = node.attrs;
      const adapted = isAdapted(node);
      const axis: Json = a.axes.length === 0 ? (src.axis === null ? null : []) : a.axes.length === 1 ? [axisValue(src.axis, a.axes[0]) as number] : a.axes;
      const body: Record<string, Json> = { axis };
      // tf.keras 2.6-2.11 do not take `invert`; every later Keras writes it
      if (a.invert || ctx.target.family === 'keras3' || ctx.target.version[1] >= 12) body.invert = a.invert;
      body.mean = adapted ? null : statisticValue(node, 'mean', src.mean, ctx);
      body.variance = adapted ? null : statisticValue(node, 'variance', src.variance, ctx);
      return { className: 'Normalization', body };
    },
  },
  weightOrder: { Normalization: ['mean', 'variance', 'count'] },
  configWeights: (node) => (isAdapted(node) ? [] : ['mean', 'variance']),
  check(node, target) {
    need(node, target, PREPROCESSING_NORMALIZATION_FEATURES.preprocessingNormalization);
    if (node.attrs.invert) need(node, target, PREPROCESSING_NORMALIZATION_FEATURES.normalizationInvert);
  },
  checkLegacyH5(node, target) {
    // a target without the layer is refused by `check`, naming the layer
    if (isAdapted(node) && supports(target, PREPROCESSING_NORMALIZATION_FEATURES.preprocessingNormalization.since)) need(node, target, PREPROCESSING_NORMALIZATION_FEATURES.normalizationAdaptedLegacyH5);
  },
  features: PREPROCESSING_NORMALIZATION_FEATURES,
});

/** A layer whose statistics Keras keeps as variables (adapted: they come with their count). */
function isAdapted(node: NodeOf<'Normalization'>): boolean {
  return node.weights.count !== undefined;
}

/**
 * A statistic written into the config: the source's own spelling when it holds the same float32
 * values (0.1 stays 0.1), else the float32 values as numbers (exact: Keras casts them back).
 */
function statisticValue(node: NodeOf<'Normalization'>, role: 'mean' | 'variance', source: unknown, ctx: EmitContext): Json {
  const t = ctx.graph.weights.get(node.weights[role]);
  if (!t) throw new KconvError('BAD_WEIGHTS', `layer '${node.name}' (Normalization): weight '${role}' is missing`, { where: node.name });
  const values = Array.from(toFloat32(t));
  const flat = Array.isArray(source) ? (source as unknown[]).flat(Infinity) : [source];
  const same = flat.length === values.length && flat.every((x, i) => typeof x === 'number' && Object.is(Math.fround(x), values[i]));
  if (same && source !== undefined) return source as Json;
  return t.shape.length === 0 ? values[0] : values;
}
