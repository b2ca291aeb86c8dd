/**
 * BatchNormalization (Keras 1 mode 0 only; its `running_std` holds the variance) and
 * LayerNormalization (Keras 3 `rms_scaling`).
 */
import { KconvError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { JsonObject } from '../emit/objects.js';
import { isKeras3, need, refuse, supports, type Feature } from '../targets.js';
import { axisValue, codec, mapped, sourceConfig } from './codec.js';

export const NORMALIZATION_FEATURES = {
  layerNormalization: { name: 'LayerNormalization layer', since: { tfkeras: 0, keras3: 0 }, verified: false },
  rmsScaling: { name: 'LayerNormalization rms_scaling', since: { keras3: 0 }, verified: false },
  // Keras 3.0.1/3.2.1's legacy-h5 loader builds BatchNormalization over the last axis whatever
  // `axis` says (their own .h5 files of such models do not reload either).
  bnAxisLegacyH5: { name: 'BatchNormalization over a non-last axis in a legacy .h5', since: { keras2: 0, tfkeras: 0, keras3: 3 }, verified: true },
  // Keras 3.15.1 cannot reload LayerNormalization over several axes from a legacy .h5.
  layerNormAxesLegacyH5: { name: 'LayerNormalization over several axes in a legacy .h5', since: { tfkeras: 0 }, verified: true },
} satisfies Record<string, Feature>;

/** True when `axis` is the last axis of a rank-`rank` input. */
export function isLastAxis(axis: number, rank: number | undefined): boolean {
  return rank !== undefined && (axis < 0 ? rank + axis : axis) === rank - 1;
}

export const normalizationCodec = codec({
  classes: ['BatchNormalization', 'BatchNormalizationV1', 'BatchNormalizationV2', 'LayerNormalization'],
  ops: ['BatchNormalization', 'LayerNormalization'],
  read(className, cfg, w, ctx) {
    if (className === 'LayerNormalization') {
      // Keras 3 with rms_scaling creates gamma even when scale is false, and never beta.
      const rmsScaling = cfg.bool('rms_scaling', false);
      const center = cfg.bool('center', true) && !rmsScaling;
      const scale = cfg.bool('scale', true) || rmsScaling;
      const weights = w.byRole([...(scale ? ['gamma'] : []), ...(center ? ['beta'] : [])]);
      return mapped('LayerNormalization', { axes: cfg.axes('axis', [-1]), epsilon: cfg.number('epsilon', 1e-3), center, scale, rmsScaling }, weights);
    }
    if (ctx.generation === 'keras1' && cfg.int('mode', 0) !== 0) {
      throw new KconvError('UNSUPPORTED_FEATURE', `Keras 1 BatchNormalization mode ${cfg.int('mode')} (only mode 0, feature-wise with moving statistics, is implemented)`, { where: `${cfg.where}.mode` });
    }
    const center = cfg.bool('center', true);
    const scale = cfg.bool('scale', true);
    // Stored order: gamma, beta (trainable), then moving mean and variance (Keras 1: running_mean, running_std, which holds the variance).
    const roles = [...(scale ? ['gamma'] : []), ...(center ? ['beta'] : []), 'moving_mean', 'moving_variance'];
    const taken = w.take(roles);
    const channels = taken[taken.length - 1].shape;
    taken.forEach((_, i) => w.expectShape(i, channels));
    const weights: Record<string, Tensor> = {};
    roles.forEach((r, i) => (weights[r] = taken[i]));
    const axis = cfg.axes('axis', [-1]);
    if (axis.length !== 1) cfg.fail('axis', 'a single axis');
    return mapped('BatchNormalization', { axis: axis[0], epsilon: cfg.number('epsilon', 1e-3), center, scale }, weights);
  },
  write: {
    BatchNormalization(node) {
      const a = node.attrs;
      const src = sourceConfig(node);
      const body: JsonObject = { axis: axisValue(src.axis, a.axis), epsilon: a.epsilon, center: a.center, scale: a.scale };
      if (src.momentum === undefined) body.momentum = 0.99;
      const objects = ['beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'];
      return { className: 'BatchNormalization', body, objects };
    },
    LayerNormalization(node, ctx) {
      const a = node.attrs;
      const src = sourceConfig(node);
      const axis = Array.isArray(src.axis) || typeof src.axis === 'number' ? (src.axis as number | number[]) : a.axes.length === 1 ? a.axes[0] : [...a.axes];
      const body: JsonObject = { axis, epsilon: a.epsilon, center: a.center, scale: a.scale };
      if (isKeras3(ctx.target)) body.rms_scaling = a.rmsScaling;
      // With rms_scaling the importer folds center/scale into the weights Keras creates (gamma, no
      // beta); write back the values the source file had, which Keras 3 builds the same way.
      if (a.rmsScaling && typeof src.center === 'boolean') body.center = src.center;
      if (a.rmsScaling && typeof src.scale === 'boolean') body.scale = src.scale;
      const objects = ['beta_initializer', 'gamma_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'];
      return { className: 'LayerNormalization', body, objects };
    },
  },
  weightOrder: {
    BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
    LayerNormalization: ['gamma', 'beta'],
  },
  check(node, target) {
    if (node.op !== 'LayerNormalization') return;
    need(node, target, NORMALIZATION_FEATURES.layerNormalization);
    if (node.attrs.rmsScaling) need(node, target, NORMALIZATION_FEATURES.rmsScaling);
  },
  checkLegacyH5(node, target, rankOf, fullModel) {
    // found loading full-model files (the loaders' model building); weights-only files not checked
    if (!fullModel) return;
    if (node.op === 'BatchNormalization' && !supports(target, NORMALIZATION_FEATURES.bnAxisLegacyH5.since)) {
      const f = NORMALIZATION_FEATURES.bnAxisLegacyH5;
      if (!isLastAxis(node.attrs.axis, rankOf(node.inputs[0]))) refuse(node, target, f.name, f.since);
    }
    if (node.op === 'LayerNormalization' && node.attrs.axes.length > 1) need(node, target, NORMALIZATION_FEATURES.layerNormAxesLegacyH5);
  },
  features: NORMALIZATION_FEATURES,
  extras: {
    BatchNormalization: {
      keras2: ['momentum', 'renorm', 'renorm_clipping', 'renorm_momentum', 'fused', 'virtual_batch_size', 'adjustment', 'synchronized'],
      keras3: ['momentum', 'synchronized', 'renorm', 'renorm_clipping', 'renorm_momentum'],
      k3since: { synchronized: 0, renorm: 14, renorm_clipping: 14, renorm_momentum: 14 },
      defaults: { keras3: { synchronized: [0, false], renorm: [14, false], renorm_clipping: [14, null], renorm_momentum: [14, 0.99] } },
      keras2OmitsDefault: { synchronized: false, renorm: false, renorm_clipping: null, renorm_momentum: 0.99 },
    },
  },
});
