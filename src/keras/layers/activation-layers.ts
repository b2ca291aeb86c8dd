/**
 * Activation layers: Activation, ReLU, LeakyReLU (`alpha` in Keras 1/2, `negative_slope` in
 * Keras 3, both default 0.3), ELU, ThresholdedReLU (Keras 2 only), Softmax, all one IR op
 * `Activation`; and PReLU (learned slope).
 */
import type { NodeOf } from '../../ir/graph.js';
import type { Activation } from '../../ir/ops/index.js';
import type { JsonObject } from '../emit/objects.js';
import { activationFromConfig } from '../activations.js';
import { checkActivationName, isKeras3, need, type Feature, type Target } from '../targets.js';
import { activationName, codec, mapped, type LayerContext, type MappedLayer, type WrittenLayer } from './codec.js';
import type { ConfigReader } from '../config-values.js';

export const ACTIVATION_LAYER_FEATURES = {
  thresholdedRelu: { name: 'ThresholdedReLU layer', since: { keras2: 0, tfkeras: 0 }, verified: false },
} satisfies Record<string, Feature>;

const READERS: Record<string, (cfg: ConfigReader, ctx: LayerContext) => MappedLayer<'Activation'>> = {
  Activation: (cfg, ctx) => mapped('Activation', { activation: activationFromConfig(cfg.config.activation, ctx.generation, `${ctx.where}.activation`) }, {}),
  ReLU(cfg) {
    const activation: Activation = { fn: 'relu' };
    const slope = cfg.number('negative_slope', 0);
    const maxValue = cfg.optionalNumber('max_value');
    const threshold = cfg.number('threshold', 0);
    if (slope !== 0) activation.alpha = slope;
    if (maxValue !== null) activation.maxValue = maxValue;
    if (threshold !== 0) activation.threshold = threshold;
    return mapped('Activation', { activation }, {});
  },
  // Keras 1/2 call the slope `alpha`, Keras 3 `negative_slope`; both default to 0.3.
  LeakyReLU: (cfg) => mapped('Activation', { activation: { fn: 'leaky_relu', alpha: cfg.number(cfg.pick('negative_slope', 'alpha') ?? 'alpha', 0.3) } }, {}),
  ELU: (cfg) => mapped('Activation', { activation: { fn: 'elu', alpha: cfg.number('alpha', 1) } }, {}),
  ThresholdedReLU: (cfg) => mapped('Activation', { activation: { fn: 'thresholded_relu', threshold: cfg.number('theta', 1) } }, {}),
  Softmax: (cfg) => mapped('Activation', { activation: { fn: 'softmax', axis: cfg.axis('axis', -1) } }, {}),
};

/** The Activation layer, or the ReLU/LeakyReLU/ELU/Softmax/ThresholdedReLU layer that holds the parameters. */
function writeActivation(node: NodeOf<'Activation'>, target: Target): WrittenLayer {
  const act = node.attrs.activation;
  const bagClass = node.keras?.className;
  const layer = (className: string, body: JsonObject): WrittenLayer => ({ className, body });
  if (act.fn === 'leaky_relu') {
    return layer('LeakyReLU', isKeras3(target) ? { negative_slope: act.alpha ?? 0.3 } : { alpha: act.alpha ?? 0.3 });
  }
  if (act.fn === 'relu' && (bagClass === 'ReLU' || (act.alpha ?? 0) !== 0 || (act.maxValue ?? null) !== null || (act.threshold ?? 0) !== 0)) {
    return layer('ReLU', { max_value: act.maxValue ?? null, negative_slope: act.alpha ?? 0, threshold: act.threshold ?? 0 });
  }
  if (act.fn === 'elu' && (bagClass === 'ELU' || (act.alpha ?? 1) !== 1)) return layer('ELU', { alpha: act.alpha ?? 1 });
  if (act.fn === 'softmax' && (bagClass === 'Softmax' || (act.axis ?? -1) !== -1)) return layer('Softmax', { axis: act.axis ?? -1 });
  if (act.fn === 'thresholded_relu') return layer('ThresholdedReLU', { theta: act.threshold ?? 1 });
  return layer('Activation', { activation: activationName(act, node.keras?.config?.activation) });
}

export const activationLayersCodec = codec({
  classes: [...Object.keys(READERS), 'PReLU'],
  ops: ['Activation', 'PReLU'],
  read(className, cfg, w, ctx) {
    if (className === 'PReLU') {
      const [alpha] = w.take(['alpha']);
      return mapped('PReLU', { sharedAxes: cfg.has('shared_axes') ? cfg.axes('shared_axes', []) : [] }, { alpha });
    }
    w.none();
    return READERS[className](cfg, ctx);
  },
  write: {
    Activation: (node, ctx) => writeActivation(node, ctx.target),
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
    checkActivationName(node, target, act, false);
  },
  features: ACTIVATION_LAYER_FEATURES,
});
