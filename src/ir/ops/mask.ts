/**
 * Keras masks as values of the graph (docs/recurrent.md § Masks). A mask is [batch, steps] of
 * 0/1 (1 = a real step). The Keras reader makes them where Keras does (Embedding(mask_zero),
 * Masking) and passes them to the nodes that apply them, as an extra input:
 * - `Mask`: makes or combines masks. kind 'nonzero': from integer indices [batch, steps] (the
 *   step is kept where the index is not 0); 'anyNotEqual': from a sequence [batch, steps, C]
 *   (kept where any feature differs from `value`); 'and' / 'or': combines ≥ 2 masks.
 * - `Masking`: inputs (x, mask): x with its masked steps zeroed (Keras's Masking layer output).
 * - `MaskedGlobalAveragePooling1D`: inputs (x [batch, steps, C], mask): the mean over the kept
 *   steps only.
 * Recurrent and Bidirectional take the mask as their second input (attrs.hasMask).
 */
import { bool, finite, fmt, nodeError, noExtraWeights } from './check.js';
import type { OpDef, OpNode, SymShape } from './define.js';

export type MaskKind = 'nonzero' | 'anyNotEqual' | 'and' | 'or';

export interface MaskAttrs {
  kind: MaskKind;
  /** anyNotEqual: Keras's mask_value. */
  value?: number;
}

export interface MaskingAttrs {
  maskValue: number;
}

export interface MaskedGlobalPoolAttrs {
  keepDims: boolean;
}

function maskShape(node: OpNode<unknown>, s: SymShape | undefined, index: number): SymShape {
  if (!s || s.length !== 2) throw nodeError(node, `inputs[${index}]`, `expected a mask [batch, steps], found ${s ? fmt(s) : 'nothing'}`);
  return s;
}

export const Mask: OpDef<MaskAttrs> = {
  validate(_graph, node) {
    const a = node.attrs;
    if (!['nonzero', 'anyNotEqual', 'and', 'or'].includes(a.kind)) throw nodeError(node, 'kind', `expected nonzero, anyNotEqual, and or or, found ${JSON.stringify(a.kind)}`);
    if (a.kind === 'anyNotEqual') finite(node, 'value', a.value);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const a = node.attrs;
    if (a.kind === 'nonzero') return [maskShape(node, inputs[0], 0)];
    if (a.kind === 'anyNotEqual') {
      const s = inputs[0];
      if (!s || s.length !== 3) throw nodeError(node, 'inputs[0]', `expected a sequence [batch, steps, features], found ${s ? fmt(s) : 'nothing'}`);
      return [[s[0], s[1]]];
    }
    if (inputs.length < 2) throw nodeError(node, 'inputs', `combining masks takes at least 2, found ${inputs.length}`);
    return [maskShape(node, inputs[0], 0)];
  },
};

export const Masking: OpDef<MaskingAttrs> = {
  validate(_graph, node) {
    finite(node, 'maskValue', node.attrs.maskValue);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    if (inputs.length !== 2) throw nodeError(node, 'inputs', `expected the sequence and its mask, found ${inputs.length} inputs`);
    maskShape(node, inputs[1], 1);
    return [inputs[0]];
  },
};

export const MaskedGlobalAveragePooling1D: OpDef<MaskedGlobalPoolAttrs> = {
  validate(_graph, node) {
    bool(node, 'keepDims', node.attrs.keepDims);
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    const s = inputs[0];
    if (!s || s.length !== 3) throw nodeError(node, 'inputs[0]', `expected a sequence [batch, steps, channels], found ${s ? fmt(s) : 'nothing'}`);
    maskShape(node, inputs[1], 1);
    return [node.attrs.keepDims ? [s[0], 1, s[2]] : [s[0], s[2]]];
  },
};
