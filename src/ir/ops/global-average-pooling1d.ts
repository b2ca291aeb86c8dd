/** GlobalAveragePooling1D: the mean over the steps axis (rules shared with GlobalMaxPooling1D). */
import type { OpDef } from './define.js';
import { globalPool1d, type GlobalPool1DAttrs } from './global-max-pooling1d.js';

export const GlobalAveragePooling1D: OpDef<GlobalPool1DAttrs> = globalPool1d;
