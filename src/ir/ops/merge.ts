/** Merge: an element-wise combination of several inputs (Add, Subtract, Multiply, Average, Maximum, Minimum). */
import { nodeError, noExtraWeights } from './check.js';
import type { OpDef } from './define.js';
import { broadcast, expectInputs } from './dims.js';

export type MergeMode = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

export const MERGE_MODES: readonly MergeMode[] = ['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum'];

export interface MergeAttrs {
  mode: MergeMode;
}

export const Merge: OpDef<MergeAttrs> = {
  validate(_graph, node) {
    if (!MERGE_MODES.includes(node.attrs.mode)) throw nodeError(node, 'mode', `expected one of ${MERGE_MODES.join(', ')}, found ${JSON.stringify(node.attrs.mode)}`);
    if (node.attrs.mode === 'subtract' && node.inputs.length !== 2) throw nodeError(node, 'inputs', `subtract takes exactly 2 inputs, found ${node.inputs.length}`);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    expectInputs(node, inputs, node.attrs.mode === 'subtract' ? 2 : 'atLeast2');
    return [broadcast(node, inputs)];
  },
};
