/**
 * Masks in Keras files: the Masking layer, and the masked form of GlobalAveragePooling1D the
 * reader makes when a mask reaches that layer (src/keras/masks.ts). Both are written back as the
 * plain Keras layers: Keras re-derives its masks from Embedding(mask_zero) / Masking on load.
 */
import { codec, mapped } from './codec.js';
import { checkGlobalPoolKeepdims, globalPoolBody } from './pooling.js';

export const maskingCodec = codec({
  classes: ['Masking'],
  ops: ['Masking', 'MaskedGlobalAveragePooling1D'],
  read(_className, cfg, w) {
    w.none();
    return mapped('Masking', { maskValue: cfg.number('mask_value', 0) }, {});
  },
  write: {
    Masking: (node) => ({ className: 'Masking', body: { mask_value: node.attrs.maskValue } }),
    MaskedGlobalAveragePooling1D: (node, ctx) => ({ className: 'GlobalAveragePooling1D', body: globalPoolBody('channels_last', node.attrs.keepDims, ctx.target) }),
  },
  check(node, target) {
    if (node.op === 'MaskedGlobalAveragePooling1D') checkGlobalPoolKeepdims(node, node.attrs.keepDims, target);
  },
});
