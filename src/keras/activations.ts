/**
 * Keras activation names → the IR's closed Activation enum, with each generation's parameters.
 * An activation kconv does not know is an import error (UNSUPPORTED_FEATURE), never a silent
 * linear: a wrong activation gives wrong numbers with no warning.
 */
import { KconvError } from '../errors.js';
import type { Activation } from '../ir/ops/index.js';
import { ConfigReader, isObject, type Config } from './config-values.js';
import type { KerasGeneration } from './generation.js';

/**
 * Reads a layer's `activation` config value: a name ('relu'), null/absent (linear), or a Keras 3
 * serialized function `{"module": "keras.activations", "class_name": "function", "config": "relu"}`.
 */
export function activationFromConfig(value: unknown, generation: KerasGeneration, where: string): Activation {
  if (value === null || value === undefined) return { fn: 'linear' };
  let name: unknown = value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    // An activation given as a layer object (`Conv1D(activation=LeakyReLU(0.1))`): Keras writes
    // the layer's own class and config in place of a name.
    if (typeof v.class_name === 'string' && isObject(v.config)) {
      return activationFromLayer(v.class_name, v.config, generation, where);
    }
    name = typeof v.config === 'string' ? v.config : typeof v.registered_name === 'string' ? v.registered_name : v.class_name;
  }
  if (typeof name !== 'string') {
    throw new KconvError('BAD_CONFIG', `expected an activation name, found ${JSON.stringify(value)}`, { where });
  }
  return activationByName(name, generation, where);
}

export function activationByName(name: string, generation: KerasGeneration, where: string): Activation {
  switch (name) {
    case 'linear':
    case 'None':
      return { fn: 'linear' };
    case 'relu':
      return { fn: 'relu' };
    case 'relu6':
      return { fn: 'relu6' };
    case 'leaky_relu':
      // Keras 3 activations.leaky_relu and tf.nn.leaky_relu both default to a slope of 0.2.
      return { fn: 'leaky_relu', alpha: 0.2 };
    case 'elu':
      return { fn: 'elu', alpha: 1 };
    case 'selu':
      return { fn: 'selu' };
    case 'gelu':
      // keras.activations.gelu defaults to approximate=False in tf.keras and Keras 3.
      return { fn: 'gelu' };
    case 'tanh':
      return { fn: 'tanh' };
    case 'sigmoid':
      return { fn: 'sigmoid' };
    case 'hard_sigmoid':
      // Keras 1/2/tf.keras: clip(0.2x + 0.5, 0, 1). Keras 3: relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1).
      return { fn: 'hard_sigmoid', alpha: generation === 'keras3' ? 1 / 6 : 0.2 };
    case 'hard_silu':
    case 'hard_swish':
      return { fn: 'hard_silu' };
    case 'softplus':
      return { fn: 'softplus' };
    case 'softsign':
      return { fn: 'softsign' };
    case 'swish':
    case 'silu':
      return { fn: 'swish' };
    case 'mish':
      return { fn: 'mish' };
    case 'exponential':
      return { fn: 'exponential' };
    case 'softmax':
      return { fn: 'softmax', axis: -1 };
    case 'log_softmax':
    // tf.keras 2.12 saves log_softmax under TF's function name (and cannot reload it)
    case 'log_softmax_v2':
      return { fn: 'log_softmax', axis: -1 };
    // Keras 3 (3.15.1 has them by name; 3.0.1 and 3.2.1 do not): by name they take their defaults
    case 'celu':
      return { fn: 'celu', alpha: 1 };
    case 'glu':
      return { fn: 'glu', axis: -1 };
    case 'sparse_plus':
      return { fn: 'sparse_plus' };
    case 'squareplus':
      return { fn: 'squareplus', alpha: 4 };
    case 'soft_shrink':
      return { fn: 'soft_shrink', threshold: 0.5 };
    case 'hard_shrink':
      return { fn: 'hard_shrink', threshold: 0.5 };
    case 'tanh_shrink':
      return { fn: 'tanh_shrink' };
    case 'log_sigmoid':
      return { fn: 'log_sigmoid' };
    case 'sparsemax':
      return { fn: 'sparsemax', axis: -1 };
    case 'hard_tanh':
      return { fn: 'hard_tanh' };
    default:
      throw new KconvError('UNSUPPORTED_FEATURE', `activation '${name}' is not one kconv implements (it will not be treated as linear)`, { where });
  }
}

/**
 * The weightless activation layers as an Activation: the layers themselves (ReLU, LeakyReLU, ELU,
 * ThresholdedReLU, Softmax, Activation) and the same layers given as another layer's `activation`.
 * Keras 1/2 call LeakyReLU's slope `alpha`, Keras 3 `negative_slope`; both default to 0.3.
 */
export function activationFromLayer(className: string, config: Config, generation: KerasGeneration, where: string): Activation {
  const cfg = new ConfigReader(config, where);
  switch (className) {
    case 'ReLU': {
      const activation: Activation = { fn: 'relu' };
      const slope = cfg.number('negative_slope', 0);
      const maxValue = cfg.optionalNumber('max_value');
      const threshold = cfg.number('threshold', 0);
      if (slope !== 0) activation.alpha = slope;
      if (maxValue !== null) activation.maxValue = maxValue;
      if (threshold !== 0) activation.threshold = threshold;
      return activation;
    }
    case 'LeakyReLU':
      return { fn: 'leaky_relu', alpha: cfg.number(cfg.pick('negative_slope', 'alpha') ?? 'alpha', 0.3) };
    case 'ELU':
      return { fn: 'elu', alpha: cfg.number('alpha', 1) };
    case 'ThresholdedReLU':
      return { fn: 'thresholded_relu', threshold: cfg.number('theta', 1) };
    case 'Softmax':
      return { fn: 'softmax', axis: cfg.axis('axis', -1) };
    case 'Activation':
      return activationFromConfig(config.activation, generation, `${where}.activation`);
    default:
      throw new KconvError('UNSUPPORTED_FEATURE', `activation given as a '${className}' layer is not one kconv implements (weightless activation layers are: ReLU, LeakyReLU, ELU, ThresholdedReLU, Softmax, Activation)`, { where });
  }
}
