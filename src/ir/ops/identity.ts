/** Identity: layers that do nothing at inference (Dropout, SpatialDropout1D, GaussianNoise, ...). */
import { noWeights } from './check.js';
import type { OpDef } from './define.js';
import { sameShape } from './dims.js';

export interface IdentityAttrs {
  /** The Keras class this stands for, for reporting. */
  kind: string;
}

export const Identity: OpDef<IdentityAttrs> = { validate: noWeights, shapes: sameShape };
