/**
 * Activation layers: Activation, ReLU, LeakyReLU (`alpha` in Keras 1/2, `negative_slope` in
 * Keras 3, both default 0.3), ELU, ThresholdedReLU (Keras 2 only), Softmax, all one IR op
 * `Activation`; and PReLU (learned slope).
 */
import type { Activation } from '../../ir/ops/index.js';
import type { JsonObject } from '../emit/objects.js';
import { activationFromLayer } from '../activations.js';
import { checkActivationName, isKeras3, need, type Feature, type Target } from '../targets.js';
import { activationName, codec, mapped, type WrittenLayer } from './codec.js';

export const ACTIVATION_LAYER_FEATURES = {
  thresholdedRelu: { name: 'ThresholdedReLU layer', since: { keras2: 0, tfkeras: 0 }, verified: false },
} satisfies Record<string, Feature>;

/** The weightless activation layers: their configs are read by activationFromLayer (src/keras/activations.ts), as when such a layer is another layer's `activation`. */
const ACTIVATION_CLASSES = ['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Softmax'];

/**
 * The Activation layer, or the ReLU/LeakyReLU/ELU/Softmax/ThresholdedReLU layer that holds the
 * parameters; `sourceClass` keeps the source's class where it computes the same (a `Softmax()`
 * stays a Softmax layer). Also the layer object written as another layer's `activation`
 * (activation-value.ts).
 */
export function writeActivationLayer(act: Activation, target: Target, sourceClass?: string, sourceName?: unknown): WrittenLayer {
  const layer = (className: string, body: JsonObject): WrittenLayer => ({ className, body });
  if (act.fn === 'leaky_relu') {
    return layer('LeakyReLU', isKeras3(target) ? { negative_slope: act.alpha ?? 0.3 } : { alpha: act.alpha ?? 0.3 });
  }
  if (act.fn === 'relu' && (sourceClass === 'ReLU' || (act.alpha ?? 0) !== 0 || (act.maxValue ?? null) !== null || (act.threshold ?? 0) !== 0)) {
    return layer('ReLU', { max_value: act.maxValue ?? null, negative_slope: act.alpha ?? 0, threshold: act.threshold ?? 0 });
  }
  if (act.fn === 'elu' && (sourceClass === 'ELU' || (act.alpha ?? 1) !== 1)) return layer('ELU', { alpha: act.alpha ?? 1 });
  if (act.fn === 'softmax' && (sourceClass === 'Softmax' || (act.axis ?? -1) !== -1)) return layer('Softmax', { axis: act.axis ?? -1 });
  if (act.fn === 'thresholded_relu') return layer('ThresholdedReLU', { theta: act.threshold ?? 1 });
  return layer('Activation', { activation: activationName(act, sourceName) });
}

export const activationLayersCodec = codec({
  classes: [...ACTIVATION_CLASSES, 'PReLU'],
  ops: ['Activation', 'PReLU'],
  read(className, cfg, w, ctx) {
    if (className === 'PReLU') {
      const [alpha] = w.take(['alpha']);
      return mapped('PReLU', { sharedAxes: cfg.has('shared_axes') ? cfg.axes('shared_axes', []) : [] }, { alpha });
    }
    w.none();
    return mapped('Activation', { activation: activationFromLayer(className, cfg.config, ctx.generation, ctx.where) }, {});
  },
  write: {
    Activation: (node, ctx) => writeActivationLayer(node.attrs.activation, ctx.target, node.keras?.className, node.keras?.config?.activation),
    // shared_axes decides alpha's shape: without it Keras builds a full-size alpha the stored one does not fit.
    PReLU: (node) => ({
      className: 'PReLU',
      body: { shared_axes: node.attrs.sharedAxes.length > 0 ? [...node.attrs.sharedAxes] : null },
      objects: ['alpha_initializer', 'alpha_regularizer', 'alpha_constraint'],
    }),
  },
  check(node, target) {
    if (node.op !== 'Activation') return;
    const act = node.attrs.activation;
    if (act.fn === 'thresholded_relu') {
      need(node, target, ACTIVATION_LAYER_FEATURES.thresholdedRelu);
      return;
    }
    // leaky_relu / relu with parameters / elu alpha become their layer classes (LeakyReLU, ReLU, ELU).
    if (act.fn === 'leaky_relu' || act.fn === 'relu' || act.fn === 'elu' || act.fn === 'softmax') return;
    checkActivationName(node, target, act);
  },
  features: ACTIVATION_LAYER_FEATURES,
});
