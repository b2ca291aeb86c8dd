/**
 * Keras's `Normalization` preprocessing layer (tf.keras 2.6+ `keras.layers.Normalization`,
 * Keras 3), as saved inside models: statistics either adapted (stored as the weights `mean`,
 * `variance`, `count`) or given to the constructor (stored in the config as numbers or lists).
 * Both become the IR op's mean/variance weights. Checked against real Keras in
 * model-normalization (tf.keras 2.13/2.15, tf_keras 2.21, Keras 3.0/3.2/3.15).
 */
import { KconvError } from '../../errors.js';
import { tensor, type Tensor } from '../../tensor.js';
import type { ConfigReader } from '../config-values.js';
import { refuse } from '../targets.js';
import { codec, mapped } from './codec.js';

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
  readOnly: 'writing Normalization is not implemented yet',
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
    }
    return mapped('Normalization', { axes, invert, epsilon: KERAS_EPSILON }, { mean, variance });
  },
  write: {
    Normalization: (node) => {
      throw new KconvError('NOT_REPRESENTABLE', `layer '${node.name}' (Normalization): writing it is not implemented yet`, { where: node.name });
    },
  },
  check(node, target) {
    refuse(node, target, 'the Normalization preprocessing layer (kconv reads and runs it; writing it is not implemented yet)', {});
  },
});
