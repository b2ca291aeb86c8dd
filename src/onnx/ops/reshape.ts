/**
 * Layers that move data: Flatten, Reshape, Permute, RepeatVector (Keras form), ZeroPadding1D /
 * Cropping1D (Pad / Slice on the steps axis of whatever form the input is in), UpSampling1D
 * (each step repeated: Reshape + Tile + Reshape with channels at axis 1).
 */
import type { NodeOf } from '../../ir/graph.js';
import { stepsAxis } from '../../ir/shapes.js';
import type { OnnxCodec } from '../codec.js';
import { notRepresentable, type Form, type OnnxEmitter } from '../emitter.js';

export const flatten: OnnxCodec<'Flatten'> = {
  emit(node, e) {
    const input = node.inputs[0];
    const shape = e.shape(input);
    // channels_first Keras moves channels last before flattening: for rank 3 that is the swapped form.
    const form: Form = node.attrs.layout === 'NCW' && shape.length === 3 ? 'swapped' : 'keras';
    if (node.attrs.layout === 'NCW' && shape.length > 3) {
      throw notRepresentable(node, 'data_format=channels_first', `a rank-${shape.length} channels-first Flatten is not exported`);
    }
    const v = node.outputs[0];
    const out = e.add('Flatten', [e.value(input, form)], [e.outputName(v, 'keras')], node.name, { axis: 1 });
    e.define(v, out, 'keras');
  },
};

export const reshape: OnnxCodec<'Reshape'> = {
  emit(node, e) {
    const target = node.attrs.targetShape;
    // ONNX Reshape reads 0 as "copy this dimension": the batch axis is written as 0, so a Keras 0 cannot be.
    if (target.includes(0)) throw notRepresentable(node, `target_shape ${JSON.stringify(target)}`, 'a zero-sized dimension');
    const v = node.outputs[0];
    const out = e.add('Reshape', [e.value(node.inputs[0], 'keras'), e.int64s(`${node.name}/shape`, [0, ...target])], [e.outputName(v, 'keras')], node.name);
    e.define(v, out, 'keras');
  },
};

export const permute: OnnxCodec<'Permute'> = {
  emit(node, e) {
    const input = node.inputs[0];
    const dims = node.attrs.dims;
    // Permute((2, 1)) of a rank-3 tensor is exactly the swapped form: no node of its own.
    if (dims.length === 2 && dims[0] === 2 && dims[1] === 1) {
      e.alias(node.outputs[0], input, true);
      return;
    }
    const v = node.outputs[0];
    const out = e.add('Transpose', [e.value(input, 'keras')], [e.outputName(v, 'keras')], node.name, { perm: [0, ...dims] });
    e.define(v, out, 'keras');
  },
};

export const repeatVector: OnnxCodec<'RepeatVector'> = {
  emit(node, e) {
    const input = node.inputs[0];
    const n = node.attrs.n;
    // [N, F] → [N, 1, F] → tiled n times along axis 1
    const row = e.op('Reshape', [e.value(input, 'keras'), e.int64s(`${node.name}/row_shape`, [0, 1, -1])], `${node.name}/as_row`);
    const v = node.outputs[0];
    const out = e.add('Tile', [row, e.int64s(`${node.name}/repeats`, [1, n, 1])], [e.outputName(v, 'keras')], node.name);
    e.define(v, out, 'keras');
  },
};

/**
 * ZeroPadding1D / Cropping1D: `build` emits the op on the input as held (either form: only the
 * steps axis, at `axis` there, changes).
 */
function editSteps(node: NodeOf<'ZeroPadding1D'> | NodeOf<'Cropping1D'>, e: OnnxEmitter, build: (x: string, axis: number, out: string) => void): void {
  const input = node.inputs[0];
  const form = e.formOf(input);
  const steps = stepsAxis(node.attrs.layout);
  const v = node.outputs[0];
  const out = e.outputName(v, form);
  build(e.value(input, form), form === 'keras' ? steps : 3 - steps, out);
  e.define(v, out, form);
}

export const zeroPadding1d: OnnxCodec<'ZeroPadding1D'> = {
  emit(node, e) {
    const { before, after } = node.attrs;
    editSteps(node, e, (x, axis, out) => {
      const pads = [0, 0, 0, 0, 0, 0];
      pads[axis] = before;
      pads[3 + axis] = after;
      e.add('Pad', [x, e.int64s(`${node.name}/pads`, pads)], [out], node.name, { mode: 'constant' });
    });
  },
};

/** Slice's "to the end" for an unknown length (INT64_MAX clamps to the dimension). */
const TO_END = Number.MAX_SAFE_INTEGER;

export const cropping1d: OnnxCodec<'Cropping1D'> = {
  emit(node, e) {
    const { before, after } = node.attrs;
    editSteps(node, e, (x, axis, out) => {
      const bounds = [e.int64s(`${node.name}/starts`, [before]), e.int64s(`${node.name}/ends`, [after > 0 ? -after : TO_END]), e.int64s(`${node.name}/axes`, [axis])];
      e.add('Slice', [x, ...bounds], [out], node.name);
    });
  },
};

export const upSampling1d: OnnxCodec<'UpSampling1D'> = {
  emit(node, e) {
    const size = node.attrs.size;
    const input = node.inputs[0];
    // Keras's UpSampling1D repeats along axis 1; held swapped that is [N, C, L] → [N, C, L, 1] → tiled → [N, C, L·size].
    const column = e.op('Reshape', [e.value(input, 'swapped'), e.int64s(`${node.name}/column_shape`, [0, 0, -1, 1])], `${node.name}/as_column`);
    const tiled = e.op('Tile', [column, e.int64s(`${node.name}/repeats`, [1, 1, 1, size])], `${node.name}/tile`);
    const v = node.outputs[0];
    const out = e.add('Reshape', [tiled, e.int64s(`${node.name}/out_shape`, [0, 0, -1])], [e.outputName(v, 'swapped')], node.name);
    e.define(v, out, 'swapped');
  },
};
