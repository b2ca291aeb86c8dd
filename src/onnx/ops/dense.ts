/**
 * Dense over the last axis: Gemm for a [batch, features] input, MatMul + Add on higher ranks. The
 * kernel [in, units] is ONNX's B as it is (no transposition).
 */
import type { OnnxCodec } from '../codec.js';
import { finish } from './conv.js';

export const dense: OnnxCodec<'Dense'> = {
  emit(node, e) {
    const a = node.attrs;
    const x = e.value(node.inputs[0], 'keras');
    const kernel = e.weight(node, 'kernel');
    if (e.shape(node.inputs[0]).length === 2) {
      const inputs = a.useBias ? [x, kernel, e.weight(node, 'bias')] : [x, kernel];
      // Gemm's C is optional from opset 11 only: without a bias, MatMul.
      const build = (out: string) => (a.useBias ? e.add('Gemm', inputs, [out], node.name, {}) : e.add('MatMul', inputs, [out], node.name));
      finish(e, node, build, a.activation, 'keras');
      return;
    }
    const build = (out: string) => {
      if (!a.useBias) e.add('MatMul', [x, kernel], [out], node.name);
      else e.add('Add', [e.op('MatMul', [x, kernel], `${node.name}/matmul`), e.weight(node, 'bias')], [out], node.name);
    };
    finish(e, node, build, a.activation, 'keras');
  },
};
