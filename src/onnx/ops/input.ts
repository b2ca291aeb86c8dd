/**
 * Input → a graph input. The batch axis is the symbolic dimension 'batch' (unless Keras fixed it);
 * an axis Keras left unknown (the steps of a variable-length model) is symbolic too: 'steps' when
 * the model has one such axis, else '<input>_axis<i>'.
 */
import type { OnnxCodec } from '../codec.js';
import { inputElemType, notRepresentable } from '../emitter.js';

export const input: OnnxCodec<'Input'> = {
  emit(node, e) {
    const a = node.attrs;
    const elemType = inputElemType(a.dtype);
    if (elemType === undefined) throw notRepresentable(node, `dtype ${a.dtype}`, 'kconv exports float32, int32 and int64 model inputs');
    const unknownAxes = e.graph.nodes.reduce((n, x) => n + (x.op === 'Input' ? x.attrs.shape.filter((d) => d === null).length : 0), 0);
    const v = node.outputs[0];
    const name = e.fresh(v);
    const shape = [a.batchSize ?? 'batch', ...a.shape.map((d, i) => d ?? (unknownAxes === 1 ? 'steps' : `${name}_axis${i + 1}`))];
    e.graphInputs.push({ value: v, name, elemType, shape });
    e.define(v, name, 'keras', elemType);
  },
};
