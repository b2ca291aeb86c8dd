/**
 * The merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum) and Concatenate. Rank-3
 * inputs are merged swapped (broadcasting and the concatenation axis follow the swap) unless that
 * needs more Transposes than Keras's form; other ranks in Keras form. Sums and products are chained pairwise in input order, and
 * Average divides the sum by the count, in the order Keras computes them.
 */
import type { NodeOf } from '../../ir/graph.js';
import type { OnnxCodec } from '../codec.js';
import type { Dim, Form, OnnxEmitter } from '../emitter.js';
import { onnxAxis } from '../activations.js';

/** Swapped when every input is rank 3 and that needs no more Transposes than Keras's form. */
function mergeForm(e: OnnxEmitter, inputs: string[]): Form {
  if (!inputs.every((v) => e.shape(v).length === 3)) return 'keras';
  const missing = (form: Form) => inputs.filter((v) => !e.has(v, form)).length;
  return missing('swapped') <= missing('keras') ? 'swapped' : 'keras';
}

/** Numpy broadcast of Keras shapes (unknown dims taken from the input that knows them). */
function broadcast(shapes: Dim[][]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d !== 1 && (dim === 1 || dim === null)) dim = d;
    }
    out.push(dim);
  }
  return out;
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
    e.define(v, out, form, broadcast(node.inputs.map((x) => e.shape(x))));
  },
};

export const concatenate: OnnxCodec<'Concatenate'> = {
  emit(node, e) {
    const shapes = node.inputs.map((x) => e.shape(x));
    const rank = shapes[0].length;
    const axis = node.attrs.axis < 0 ? node.attrs.axis + rank : node.attrs.axis;
    const form = mergeForm(e, node.inputs);
    const v = node.outputs[0];
    const out = e.add('Concat', node.inputs.map((x) => e.value(x, form)), [e.outputName(v, form)], node.name, { axis: onnxAxis(axis, rank, form) });
    const shape = [...shapes[0]];
    shape[axis] = shapes.every((s) => typeof s[axis] === 'number') ? shapes.reduce((n, s) => n + (s[axis] as number), 0) : null;
    e.define(v, out, form, shape);
  },
};
