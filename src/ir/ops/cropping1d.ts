/** Cropping1D: steps removed from both ends (rules shared with ZeroPadding1D). */
import type { OpDef } from './define.js';
import { padCrop1d, type PadCrop1DAttrs } from './zero-padding1d.js';

export const Cropping1D: OpDef<PadCrop1DAttrs> = padCrop1d(-1);
