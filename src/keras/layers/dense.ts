/** Dense (Keras 1: `output_dim`, `bias`). */
import { activationFromConfig } from '../activations.js';
import { activationValue, checkLayerActivation } from './activation-value.js';
import { codec, mapped, sourceConfig, weightObjects } from './codec.js';

export const denseCodec = codec({
  classes: ['Dense'],
  ops: ['Dense'],
  read(_className, cfg, w, ctx) {
    const units = cfg.int(cfg.pick('units', 'output_dim') ?? 'units');
    const useBias = cfg.bool(cfg.pick('use_bias', 'bias') ?? 'use_bias', true);
    const [kernel, bias] = w.take(useBias ? ['kernel', 'bias'] : ['kernel']);
    if (kernel.shape.length !== 2) w.badShape(0, 'a 2-D kernel [in_features, units]');
    w.expectShape(0, [kernel.shape[0], units]);
    if (bias) w.expectShape(1, [units]);
    const activation = activationFromConfig(cfg.config.activation, ctx.generation, `${ctx.where}.activation`);
    return mapped('Dense', { units, inFeatures: kernel.shape[0], activation, useBias }, { kernel, bias });
  },
  write: {
    Dense(node, ctx) {
      const a = node.attrs;
      const body = { units: a.units, activation: activationValue(a.activation, sourceConfig(node).activation, ctx), use_bias: a.useBias };
      return { className: 'Dense', body, objects: weightObjects(['kernel', 'bias']) };
    },
  },
  weightOrder: { Dense: ['kernel', 'bias'] },
  check: (node, target) => checkLayerActivation(node, target, node.attrs.activation, sourceConfig(node).activation),
  extras: {
    Dense: {
      keras2: [],
      keras3: ['lora_rank', 'lora_alpha', 'quantization_config'],
      k3since: { lora_rank: 1, lora_alpha: 10, quantization_config: 13 },
      defaults: { keras3: { quantization_config: [13, null] } },
    },
  },
});
