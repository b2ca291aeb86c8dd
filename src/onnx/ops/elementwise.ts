/**
 * Layers that act elementwise, so they run in whatever form their input is held: Activation (and
 * the activation layers), PReLU, Rescaling, Identity (Dropout & co. at inference: no node at all). And the
 * layers kconv cannot run, which have nothing to write.
 */
import type { OnnxCodec } from '../codec.js';
import { emitActivation } from '../activations.js';
import { notRepresentable } from '../emitter.js';

export const activation: OnnxCodec<'Activation'> = {
  emit(node, e) {
    const input = node.inputs[0];
    const form = e.formOf(input);
    const shape = e.shape(input);
    const out = e.outputName(node.outputs[0], form);
    emitActivation(e, node.attrs.activation, e.value(input, form), form, shape, node.name, out, node.name);
    e.define(node.outputs[0], out, form);
  },
};

export const identity: OnnxCodec<'Identity'> = {
  emit(node, e) {
    e.alias(node.outputs[0], node.inputs[0], false);
  },
};

/** Keras PReLU: x ≥ 0 ? x : alpha·x, alpha shaped like the input without batch (shared axes 1); ONNX PRelu broadcasts it the same way. */
export const prelu: OnnxCodec<'PReLU'> = {
  emit(node, e) {
    const input = node.inputs[0];
    const form = e.formOf(input);
    const alphaShape = e.graph.weights.get(node.weights.alpha)?.shape;
    // In the swapped form alpha's [steps, channels] are swapped too.
    const slope = form === 'swapped' && alphaShape?.length === 2 ? e.weight(node, 'alpha', [1, 0]) : e.weight(node, 'alpha');
    const v = node.outputs[0];
    const out = e.add('PRelu', [e.value(input, form), slope], [e.outputName(v, form)], node.name);
    e.define(v, out, form);
  },
};

/** Keras Rescaling: x · scale + offset, two float32 operations as Keras does them. */
export const rescaling: OnnxCodec<'Rescaling'> = {
  emit(node, e) {
    const input = node.inputs[0];
    const form = e.formOf(input);
    const scaled = e.op('Mul', [e.value(input, form), e.floats(`${node.name}/scale`, [node.attrs.scale])], `${node.name}/scaled`);
    const v = node.outputs[0];
    const out = e.add('Add', [scaled, e.floats(`${node.name}/offset`, [node.attrs.offset])], [e.outputName(v, form)], node.name);
    e.define(v, out, form);
  },
};

/** A layer kconv loads but cannot run (Lambda, custom classes, layers the IR does not hold yet): no computation to write. */
export const unsupported: OnnxCodec<'Unsupported'> = {
  emit(node) {
    throw notRepresentable(node, `class ${node.attrs.className}`, `kconv cannot run this layer (${node.attrs.reason}), so there is no computation to write`);
  },
};
