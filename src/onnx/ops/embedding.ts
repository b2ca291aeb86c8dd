/** Embedding → Gather of the table's rows (float indices are cast to int64 first, as Keras casts them). */
import type { OnnxCodec } from '../codec.js';
import { ONNX_DTYPE } from '../proto.js';

export const embedding: OnnxCodec<'Embedding'> = {
  emit(node, e) {
    const input = node.inputs[0];
    let indices = e.value(input, 'keras');
    if (e.elemType(input) === ONNX_DTYPE.float32) indices = e.op('Cast', [indices], `${node.name}/indices_to_int64`, { to: ONNX_DTYPE.int64 });
    const v = node.outputs[0];
    const out = e.add('Gather', [e.weight(node, 'embeddings'), indices], [e.outputName(v, 'keras')], node.name, { axis: 0 });
    e.define(v, out, 'keras');
  },
};
