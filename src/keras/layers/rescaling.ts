/**
 * Rescaling (`scale`, `offset` default 0): keras.layers.Rescaling from tf.keras 2.6, and Keras 3.
 * Standalone Keras 2 has no such layer. A per-channel (list) scale or offset is not implemented.
 */
import { KconvError } from '../../errors.js';
import type { ConfigReader } from '../config-values.js';
import { need, type Feature } from '../targets.js';
import { codec, mapped } from './codec.js';

export const RESCALING_FEATURES = {
  rescaling: { name: 'Rescaling layer', since: { tfkeras: 6, keras3: 0 }, verified: false },
} satisfies Record<string, Feature>;

function scalar(cfg: ConfigReader, key: string, fallback?: number): number {
  if (Array.isArray(cfg.config[key])) {
    throw new KconvError('UNSUPPORTED_FEATURE', `Rescaling with a per-channel ${key} ${JSON.stringify(cfg.config[key])} (only a single number is implemented)`, { where: `${cfg.where}.${key}` });
  }
  return cfg.number(key, fallback);
}

export const rescalingCodec = codec({
  classes: ['Rescaling'],
  ops: ['Rescaling'],
  read(_className, cfg, w) {
    w.none();
    return mapped('Rescaling', { scale: scalar(cfg, 'scale'), offset: scalar(cfg, 'offset', 0) }, {});
  },
  write: {
    Rescaling: (node) => ({ className: 'Rescaling', body: { scale: node.attrs.scale, offset: node.attrs.offset } }),
  },
  check: (node, target) => need(node, target, RESCALING_FEATURES.rescaling),
  features: RESCALING_FEATURES,
});
