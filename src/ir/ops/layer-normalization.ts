/** LayerNormalization: normalizes each sample over `axes`. */
import { bool, finite, isInt, nodeError, noExtraWeights, weight } from './check.js';
import type { OpDef } from './define.js';
import { normalizeAxis, sameShape } from './dims.js';

/** weights: gamma (when scale), beta (when center), shaped like the normalized axes. */
export interface LayerNormAttrs {
  axes: number[];
  epsilon: number;
  center: boolean;
  scale: boolean;
  /**
   * Keras 3 `rms_scaling`: y = x / sqrt(var(x) + eps) · gamma, the output not centered (Keras divides
   * by the standard deviation, not the RMS). Keras then has gamma and no beta whatever `center` /
   * `scale` say; importers set center false and scale true to match the weights.
   */
  rmsScaling: boolean;
}

export const LayerNormalization: OpDef<LayerNormAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    if (!Array.isArray(a.axes) || a.axes.length === 0) throw nodeError(node, 'axes', `expected a non-empty array of axes, found ${JSON.stringify(a.axes)}`);
    a.axes.forEach((ax, i) => isInt(node, `axes[${i}]`, ax));
    finite(node, 'epsilon', a.epsilon, 0);
    bool(node, 'center', a.center);
    bool(node, 'scale', a.scale);
    bool(node, 'rmsScaling', a.rmsScaling);
    if (a.scale) weight(graph, node, 'gamma', null);
    if (a.center) weight(graph, node, 'beta', null);
    noExtraWeights(node, [...(a.scale ? ['gamma'] : []), ...(a.center ? ['beta'] : [])]);
  },
  shapes(node, inputs) {
    const out = sameShape(node, inputs);
    node.attrs.axes.forEach((ax, i) => normalizeAxis(ax, out[0].length, node, `axes[${i}]`));
    return out;
  },
};
