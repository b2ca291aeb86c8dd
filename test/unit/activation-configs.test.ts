/**
 * Activation values Keras writes besides plain names: layer objects (`Conv1D(activation=
 * LeakyReLU(0.1))`, golden case model-activation-object in six Keras versions), tf.keras 2.12's
 * `log_softmax_v2` and its `__numpy__`-wrapped scalars (which Keras 2.12 cannot reload itself).
 */
import { describe, expect, it } from 'vitest';
import { activationFromConfig, activationFromLayer } from '../../src/keras/activations.js';
import { ConfigReader } from '../../src/keras/config-values.js';
import { caught } from '../helpers/errors.js';

describe('activation configs', () => {
  it('reads a layer object in Keras 2 and Keras 3 form', () => {
    expect(activationFromConfig({ class_name: 'LeakyReLU', config: { name: 'leaky_re_lu', alpha: 0.1 } }, 'keras2', 'a')).toEqual({ fn: 'leaky_relu', alpha: 0.1 });
    expect(
      activationFromConfig({ module: 'keras.layers', class_name: 'ReLU', config: { name: 're_lu', max_value: 0.9, negative_slope: 0.05, threshold: 0 }, registered_name: null }, 'keras3', 'a'),
    ).toEqual({ fn: 'relu', alpha: 0.05, maxValue: 0.9 });
    expect(activationFromConfig({ class_name: 'Softmax', config: { axis: 1 } }, 'keras3', 'a')).toEqual({ fn: 'softmax', axis: 1 });
  });
  it('still reads a Keras 3 serialized function', () => {
    expect(activationFromConfig({ module: 'keras.activations', class_name: 'function', config: 'tanh', registered_name: 'function' }, 'keras3', 'a')).toEqual({ fn: 'tanh' });
  });
  it('refuses a layer object with weights or unknown, naming the class', () => {
    const e = caught(() => activationFromLayer('PReLU', {}, 'keras2', 'layers[1].activation'));
    expect(e.code).toBe('UNSUPPORTED_FEATURE');
    expect(e.message).toMatch(/'PReLU'/);
  });
  it("reads tf.keras 2.12's log_softmax_v2 as log_softmax", () => {
    expect(activationFromConfig('log_softmax_v2', 'keras2', 'a')).toEqual({ fn: 'log_softmax', axis: -1 });
  });
  it("reads tf.keras 2.12's __numpy__ scalars in layer options", () => {
    const relu = { max_value: { class_name: '__numpy__', config: { value: 6.0, dtype: 'float32' } }, negative_slope: { class_name: '__numpy__', config: { value: 0.0, dtype: 'float32' } }, threshold: 0 };
    expect(activationFromLayer('ReLU', relu, 'keras2', 'a')).toEqual({ fn: 'relu', maxValue: 6 });
    expect(new ConfigReader({ n: { class_name: '__numpy__', config: { value: 3, dtype: 'int64' } } }, 'w').int('n')).toBe(3);
  });
});
