/**
 * Normalization (Keras's preprocessing layer): y = (x - mean) / max(sqrt(variance), epsilon), or
 * with `invert` y = mean + x · max(sqrt(variance), epsilon). weights: mean, variance, shaped like
 * the kept axes of the input (`axes`, batch counted, may be negative) or [] (one value for all).
 * An optional `count` (an integer scalar) is the number of samples an adapted layer saw: Keras
 * keeps it as the layer's third variable; the computation does not read it.
 */
import { KconvError } from '../../errors.js';
import { bool, finite, isInt, nodeError, noExtraWeights, weight } from './check.js';
import type { OpDef } from './define.js';
import { normalizeAxis, sameShape } from './dims.js';

export interface NormalizationAttrs {
  /** The axes that keep their own statistics (Keras `axis`); empty: one mean/variance for all. */
  axes: number[];
  invert: boolean;
  /** Keras's backend epsilon (1e-7), the smallest standard deviation divided by. */
  epsilon: number;
}

export const Normalization: OpDef<NormalizationAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    if (!Array.isArray(a.axes)) throw nodeError(node, 'axes', `expected a list of axes, found ${JSON.stringify(a.axes)}`);
    a.axes.forEach((x, i) => isInt(node, `axes[${i}]`, x));
    bool(node, 'invert', a.invert);
    finite(node, 'epsilon', a.epsilon, 0);
    const mean = weight(graph, node, 'mean', null)!;
    const variance = weight(graph, node, 'variance', null)!;
    if (mean.shape.join() !== variance.shape.join()) throw nodeError(node, 'weights', `mean [${mean.shape}] and variance [${variance.shape}] differ in shape`);
    const countKey = node.weights.count;
    if (countKey !== undefined) {
      const count = graph.weights.get(countKey);
      if (!count || count.shape.length !== 0 || !['int64', 'int32'].includes(count.dtype)) {
        throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (Normalization): weight 'count' should be an integer scalar, found ${count ? `${count.dtype} [${count.shape}]` : 'nothing'}`, { where: `nodes/${node.name}/weights/count` });
      }
    }
    noExtraWeights(node, ['mean', 'variance', 'count']);
  },
  shapes(node, inputs) {
    const out = sameShape(node, inputs);
    for (const [i, axis] of node.attrs.axes.entries()) normalizeAxis(axis, out[0].length, node, `axes[${i}]`);
    return out;
  },
};
