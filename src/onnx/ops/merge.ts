/**
 * The merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum) and Concatenate. Rank-3
 * inputs are merged swapped (broadcasting and the concatenation axis follow the swap) unless that
 * needs more Transposes than Keras's form; other ranks in Keras form. Sums and products are chained pairwise in input order, and
 * Average divides the sum by the count, in the order Keras computes them.
 */
import type { NodeOf } from '../../ir/graph.js';
import type { OnnxCodec } from '../codec.js';
import type { Form, OnnxEmitter } from '../emitter.js';
import { onnxAxis } from '../activations.js';

/** Swapped when every input is rank 3 and that needs no more Transposes than Keras's form. */
function mergeForm(e: OnnxEmitter, inputs: string[]): Form {
  if (!inputs.every((v) => e.shape(v).length === 3)) return 'keras';
  const missing = (form: Form) => inputs.filter((v) => !e.has(v, form)).length;
  return missing('swapped') <= missing('keras') ? 'swapped' : 'keras';
}

const BINARY = { add: 'Add', subtract: 'Sub', multiply: 'Mul', maximum: 'Max', minimum: 'Min', average: 'Add' } as const;

export const merge: OnnxCodec<'Merge'> = {
  emit(node: NodeOf<'Merge'>, e) {
    const mode = node.attrs.mode;
    const form = mergeForm(e, node.inputs);
    const xs = node.inputs.map((v) => e.value(v, form));
    const v = node.outputs[0];
    const out = e.outputName(v, form);
    let acc = xs[0];
    for (let i = 1; i < xs.length; i++) {
      const last = i === xs.length - 1 && mode !== 'average';
      acc = last ? e.add(BINARY[mode], [acc, xs[i]], [out], node.name) : e.op(BINARY[mode], [acc, xs[i]], `${node.name}/${mode}_${i}`);
    }
    if (mode === 'average') e.add('Div', [acc, e.floats(`${node.name}/count`, [xs.length])], [out], node.name);
    e.define(v, out, form);
  },
};

export const concatenate: OnnxCodec<'Concatenate'> = {
  emit(node, e) {
    const rank = e.shape(node.inputs[0]).length;
    const axis = node.attrs.axis < 0 ? node.attrs.axis + rank : node.attrs.axis;
    const form = mergeForm(e, node.inputs);
    const v = node.outputs[0];
    const out = e.add('Concat', node.inputs.map((x) => e.value(x, form)), [e.outputName(v, form)], node.name, { axis: onnxAxis(axis, rank, form) });
    e.define(v, out, form);
  },
};
