/**
 * Pooling over steps. MaxPool / AveragePool with Keras's window, stride and padding; padded
 * positions are ignored by both (AveragePool's count_include_pad 0 divides by the real positions,
 * as TF does for SAME). Global pooling is GlobalMaxPool / GlobalAveragePool, flattened unless
 * Keras keeps the steps axis. All run with channels at axis 1.
 */
import type { NodeOf } from '../../ir/graph.js';
import { stepsAxis } from '../../ir/shapes.js';
import type { NodeOfAny, OnnxCodec } from '../codec.js';
import { channelsFirstForm } from './conv.js';
import { padAttrs } from './window.js';

function windowPool(onnxOp: 'MaxPool' | 'AveragePool'): OnnxCodec<'MaxPooling1D' | 'AveragePooling1D'> {
  return {
    emit(node, e) {
      const a = node.attrs;
      const form = channelsFirstForm(a.layout);
      const length = e.shape(node.inputs[0])[stepsAxis(a.layout)];
      const attrs = { kernel_shape: [a.poolSize], strides: [a.stride], ...padAttrs(a.padding, length, a.poolSize, a.stride, 1) };
      const v = node.outputs[0];
      const out = e.add(onnxOp, [e.value(node.inputs[0], form)], [e.outputName(v, form)], node.name, attrs);
      e.define(v, out, form);
    },
  };
}

export const maxPooling1d = windowPool('MaxPool') as OnnxCodec<'MaxPooling1D'>;
export const averagePooling1d = windowPool('AveragePool') as OnnxCodec<'AveragePooling1D'>;

function globalPool(onnxOp: 'GlobalMaxPool' | 'GlobalAveragePool'): OnnxCodec<'GlobalMaxPooling1D' | 'GlobalAveragePooling1D'> {
  return {
    emit(node: NodeOfAny<'GlobalMaxPooling1D' | 'GlobalAveragePooling1D'>, e) {
      const a = node.attrs;
      const form = channelsFirstForm(a.layout);
      const v = node.outputs[0];
      // [N, C, L] → [N, C, 1]: in `form` that is Keras's keep-dims shape.
      if (a.keepDims) {
        const out = e.add(onnxOp, [e.value(node.inputs[0], form)], [e.outputName(v, form)], node.name, {});
        e.define(v, out, form);
        return;
      }
      const pooled = e.op(onnxOp, [e.value(node.inputs[0], form)], node.name);
      const out = e.add('Flatten', [pooled], [e.outputName(v, 'keras')], `${node.name}/drop_steps_axis`, { axis: 1 });
      e.define(v, out, 'keras');
    },
  };
}

export const globalMaxPooling1d = globalPool('GlobalMaxPool') as OnnxCodec<'GlobalMaxPooling1D'>;
export const globalAveragePooling1d = globalPool('GlobalAveragePool') as OnnxCodec<'GlobalAveragePooling1D'>;
