/**
 * Layers that move or repeat elements without weights: Flatten, Reshape, Permute, RepeatVector,
 * UpSampling1D (Keras 1 `length`), ZeroPadding1D, Cropping1D.
 */
import { codec, dataFormat, layoutOf, mapped } from './codec.js';

export const reshapingCodec = codec({
  classes: ['Flatten', 'Reshape', 'Permute', 'RepeatVector', 'UpSampling1D', 'ZeroPadding1D', 'Cropping1D'],
  ops: ['Flatten', 'Reshape', 'Permute', 'RepeatVector', 'UpSampling1D', 'ZeroPadding1D', 'Cropping1D'],
  read(className, cfg, w) {
    w.none();
    const readers = {
      Flatten: () => mapped('Flatten', { layout: layoutOf(cfg) }, {}),
      Reshape: () => mapped('Reshape', { targetShape: cfg.intList('target_shape') }, {}),
      Permute: () => mapped('Permute', { dims: cfg.intList('dims') }, {}),
      RepeatVector: () => mapped('RepeatVector', { n: cfg.int('n') }, {}),
      UpSampling1D: () => mapped('UpSampling1D', { size: cfg.int(cfg.pick('size', 'length') ?? 'size', 2) }, {}),
      ZeroPadding1D: () => {
        const [before, after] = cfg.pair('padding', 1);
        return mapped('ZeroPadding1D', { before, after, layout: layoutOf(cfg) }, {});
      },
      Cropping1D: () => {
        const [before, after] = cfg.pair('cropping', 1);
        return mapped('Cropping1D', { before, after, layout: 'NWC' }, {});
      },
    };
    return readers[className as keyof typeof readers]();
  },
  write: {
    Flatten: (node) => ({ className: 'Flatten', body: { data_format: dataFormat(node.attrs.layout) } }),
    Reshape: (node) => ({ className: 'Reshape', body: { target_shape: [...node.attrs.targetShape] } }),
    Permute: (node) => ({ className: 'Permute', body: { dims: [...node.attrs.dims] } }),
    RepeatVector: (node) => ({ className: 'RepeatVector', body: { n: node.attrs.n } }),
    UpSampling1D: (node) => ({ className: 'UpSampling1D', body: { size: node.attrs.size } }),
    ZeroPadding1D: (node) => ({ className: 'ZeroPadding1D', body: { padding: [node.attrs.before, node.attrs.after] } }),
    Cropping1D: (node) => ({ className: 'Cropping1D', body: { cropping: [node.attrs.before, node.attrs.after] } }),
  },
  extras: {
    ZeroPadding1D: { keras2: [], keras3: ['data_format'], k3since: { data_format: 5 }, defaults: { keras3: { data_format: [5, 'channels_last'] } } },
  },
});
