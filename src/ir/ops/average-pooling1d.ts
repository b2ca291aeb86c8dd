/** AveragePooling1D: windowed pooling (rules shared with MaxPooling1D); padded positions are not counted. */
import type { OpDef } from './define.js';
import { pool1d, type Pool1DAttrs } from './max-pooling1d.js';

export const AveragePooling1D: OpDef<Pool1DAttrs> = pool1d;
