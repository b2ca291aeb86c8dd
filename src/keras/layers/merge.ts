/** Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, and Keras 1's `Merge` (mode sum/mul/ave/max/concat). */
import type { MergeMode } from '../../ir/ops/index.js';
import { refuse, supports, type Feature } from '../targets.js';
import { axisValue, codec, mapped, sourceConfig, type MappedLayer, type WeightList } from './codec.js';
import type { ConfigReader } from '../config-values.js';
import { isLastAxis } from './normalization.js';
import { unsupported } from './unsupported.js';

export const MERGE_FEATURES = {
  // Keras 3.0.1/3.2.1's legacy-h5 loader rejects Concatenate over a non-last axis (shape check).
  concatAxisLegacyH5: { name: 'Concatenate over a non-last axis in a legacy .h5', since: { keras2: 0, tfkeras: 0, keras3: 3 }, verified: true },
} satisfies Record<string, Feature>;

/** Keras class of each merge mode. */
const CLASSES: Record<MergeMode, string> = { add: 'Add', subtract: 'Subtract', multiply: 'Multiply', average: 'Average', maximum: 'Maximum', minimum: 'Minimum' };

const KERAS1_MODES: Record<string, MergeMode> = { sum: 'add', mul: 'multiply', ave: 'average', max: 'maximum' };

function keras1Merge(cfg: ConfigReader, w: WeightList, className: string): MappedLayer {
  const mode = cfg.config.mode;
  if (typeof mode === 'string' && KERAS1_MODES[mode]) {
    w.none();
    return mapped('Merge', { mode: KERAS1_MODES[mode] }, {});
  }
  if (mode === 'concat') {
    w.none();
    return mapped('Concatenate', { axis: cfg.int('concat_axis', -1) }, {});
  }
  return unsupported(className, `Keras 1 Merge mode ${JSON.stringify(mode)} is not implemented (only sum, mul, ave, max, concat)`, w.stored);
}

export const mergeCodec = codec({
  classes: [...Object.values(CLASSES), 'Concatenate', 'Merge'],
  ops: ['Merge', 'Concatenate'],
  read(className, cfg, w) {
    if (className === 'Merge') return keras1Merge(cfg, w, className);
    w.none();
    if (className === 'Concatenate') return mapped('Concatenate', { axis: cfg.axis('axis', -1) }, {});
    return mapped('Merge', { mode: className.toLowerCase() as MergeMode }, {});
  },
  write: {
    Merge: (node) => ({ className: CLASSES[node.attrs.mode], body: {} }),
    Concatenate: (node) => ({ className: 'Concatenate', body: { axis: axisValue(sourceConfig(node).axis, node.attrs.axis) } }),
  },
  checkLegacyH5(node, target, rankOf, fullModel) {
    // found loading full-model files; weights-only files not checked
    if (!fullModel) return;
    const f = MERGE_FEATURES.concatAxisLegacyH5;
    if (node.op === 'Concatenate' && !supports(target, f.since) && !isLastAxis(node.attrs.axis, rankOf(node.inputs[0]))) {
      refuse(node, target, f.name, f.since);
    }
  },
  features: MERGE_FEATURES,
});
