/** BatchNormalization at inference: moving statistics, then scale and shift. */
import { KconvError } from '../../errors.js';
import { bool, finite, fmt, isInt, noExtraWeights, weight } from './check.js';
import type { OpDef } from './define.js';
import { normalizeAxis, sameShape } from './dims.js';

/**
 * weights: gamma [C] (when scale), beta [C] (when center), moving_mean [C], moving_variance [C].
 * y = (x - mean) / sqrt(var + epsilon) * gamma + beta, over `axis`.
 */
export interface BatchNormAttrs {
  axis: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

export const BatchNormalization: OpDef<BatchNormAttrs> = {
  validate(graph, node) {
    const a = node.attrs;
    isInt(node, 'axis', a.axis);
    finite(node, 'epsilon', a.epsilon, 0);
    bool(node, 'center', a.center);
    bool(node, 'scale', a.scale);
    const mean = weight(graph, node, 'moving_mean', null)!;
    if (mean.shape.length !== 1) throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (${node.op}): weight 'moving_mean' should be 1-D, found ${fmt(mean.shape)}`, { where: `nodes/${node.name}/weights/moving_mean` });
    const c = mean.shape[0];
    weight(graph, node, 'moving_variance', [c]);
    if (a.scale) weight(graph, node, 'gamma', [c]);
    if (a.center) weight(graph, node, 'beta', [c]);
    noExtraWeights(node, ['moving_mean', 'moving_variance', ...(a.scale ? ['gamma'] : []), ...(a.center ? ['beta'] : [])]);
  },
  shapes(node, inputs) {
    const out = sameShape(node, inputs);
    normalizeAxis(node.attrs.axis, out[0].length, node, 'axis');
    return out;
  },
};
