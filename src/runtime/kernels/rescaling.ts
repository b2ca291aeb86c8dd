/**
 * Rescaling: y = x · scale + offset. Keras casts scale and offset to the float32 compute dtype,
 * then multiplies and adds as two float32 operations; each step here rounds the same way.
 */
import type { NodeCompiler } from '../step.js';

export const compileRescaling: NodeCompiler<'Rescaling'> = (_ctx, node) => {
  const scale = Math.fround(node.attrs.scale);
  const offset = Math.fround(node.attrs.offset);
  return ([x], y) => {
    for (let i = 0; i < x.length; i++) y[i] = Math.fround(x[i] * scale) + offset;
  };
};
