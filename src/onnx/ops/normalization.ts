/**
 * BatchNormalization → ONNX BatchNormalization (inference: moving statistics; the channel axis
 * must be axis 1 of the tensor as held, which the swapped form gives for Keras's channels-last
 * axis). LayerNormalization → ONNX LayerNormalization (opset 17) over Keras's trailing axes;
 * Keras 3's rms_scaling (divide by the standard deviation, no centering of the output) has no
 * ONNX op and is written as its formula.
 */
import type { NodeOf } from '../../ir/graph.js';
import type { OnnxCodec } from '../codec.js';
import { float, type Form, notRepresentable, type OnnxEmitter } from '../emitter.js';

function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export const batchNormalization: OnnxCodec<'BatchNormalization'> = {
  emit(node, e) {
    const a = node.attrs;
    const shape = e.shape(node.inputs[0]);
    const axis = axisOf(a.axis, shape.length);
    let form: Form;
    if (axis === 1) form = 'keras';
    else if (axis === 2 && shape.length === 3) form = 'swapped';
    else throw notRepresentable(node, `axis ${a.axis}`, `ONNX BatchNormalization normalizes axis 1; axis ${axis} of a rank-${shape.length} input cannot be brought there by the steps/channels swap`);
    const channels = e.graph.weights.get(node.weights.moving_mean)?.shape[0];
    if (channels === undefined) throw notRepresentable(node, 'moving_mean', 'the weight is missing');
    const scale = a.scale ? e.weight(node, 'gamma') : e.floats(`${node.name}/unit_scale`, new Array<number>(channels).fill(1), [channels]);
    const bias = a.center ? e.weight(node, 'beta') : e.floats(`${node.name}/zero_offset`, new Array<number>(channels).fill(0), [channels]);
    const v = node.outputs[0];
    const inputs = [e.value(node.inputs[0], form), scale, bias, e.weight(node, 'moving_mean'), e.weight(node, 'moving_variance')];
    const out = e.add('BatchNormalization', inputs, [e.outputName(v, form)], node.name, { epsilon: float(a.epsilon) });
    e.define(v, out, form);
  },
};

/** The normalized axes as [first, rank): ONNX LayerNormalization and the broadcast of gamma/beta need them trailing. */
function trailingAxis(node: NodeOf<'LayerNormalization'>, rank: number): number {
  const axes = [...new Set(node.attrs.axes.map((x) => axisOf(x, rank)))].sort((x, y) => x - y);
  const first = axes[0];
  if (axes.some((x, i) => x !== first + i) || axes[axes.length - 1] !== rank - 1) {
    throw notRepresentable(node, `axis ${JSON.stringify(node.attrs.axes)}`, `kconv's ONNX export normalizes trailing axes (ONNX LayerNormalization's axis..rank-1); these are not the last ${axes.length} of a rank-${rank} input`);
  }
  return first;
}

/** y = x / sqrt(var(x) + eps) · gamma, var about the mean over the normalized axes (Keras 3 rms_scaling). */
function rmsScaled(e: OnnxEmitter, node: NodeOf<'LayerNormalization'>, x: string, axes: number[], out: string): void {
  const at = node.name;
  const mean = e.op('ReduceMean', [x], `${at}/mean`, { axes, keepdims: 1 });
  const centered = e.op('Sub', [x, mean], `${at}/centered`);
  const variance = e.op('ReduceMean', [e.op('Mul', [centered, centered], `${at}/squared`)], `${at}/variance`, { axes, keepdims: 1 });
  const std = e.op('Sqrt', [e.op('Add', [variance, e.floats(`${at}/epsilon`, [node.attrs.epsilon])], `${at}/plus_epsilon`)], `${at}/std`);
  const normalized = e.op('Div', [x, std], `${at}/scaled`);
  e.add('Mul', [normalized, e.weight(node, 'gamma')], [out], at);
}

export const layerNormalization: OnnxCodec<'LayerNormalization'> = {
  emit(node, e) {
    const a = node.attrs;
    const shape = e.shape(node.inputs[0]);
    const first = trailingAxis(node, shape.length);
    const x = e.value(node.inputs[0], 'keras');
    const v = node.outputs[0];
    const out = e.outputName(v, 'keras');
    if (a.rmsScaling) {
      rmsScaled(e, node, x, shape.map((_, i) => i).filter((i) => i >= first), out);
    } else {
      let scale: string;
      if (a.scale) scale = e.weight(node, 'gamma');
      else {
        const dims = shape.slice(first);
        if (!dims.every((d): d is number => typeof d === 'number')) throw notRepresentable(node, 'scale=False', 'ONNX LayerNormalization needs a Scale input, and the normalized axes have no known size to make one of ones');
        scale = e.floats(`${node.name}/unit_scale`, new Array<number>(dims.reduce((p, d) => p * d, 1)).fill(1), dims);
      }
      const inputs = a.center ? [x, scale, e.weight(node, 'beta')] : [x, scale];
      e.add('LayerNormalization', inputs, [out], node.name, { axis: first, epsilon: float(a.epsilon) });
    }
    e.define(v, out, 'keras');
  },
};

/**
 * Keras's Normalization layer as its own formula: (x - mean) / max(sqrt(variance), epsilon), or
 * mean + x · max(sqrt(variance), epsilon) with `invert` (Keras computes it in float32, as ONNX
 * does). mean/variance are stored once each, viewed with a 1 at every reduced axis so that they
 * broadcast against the input (their row-major order over the kept axes is unchanged).
 */
export const normalization: OnnxCodec<'Normalization'> = {
  // Keras's adapt() bookkeeping (how many samples the statistics came from), kept in the IR only
  // so that Keras files written back hold every variable Keras has
  unusedWeights: { count: 'the number of samples adapt() saw; inference reads only mean and variance' },
  emit(node, e) {
    const shape = e.shape(node.inputs[0]);
    const meanShape = e.graph.weights.get(node.weights.mean)?.shape;
    if (!meanShape) throw notRepresentable(node, 'mean', 'the weight is missing');
    const kept = [...new Set(node.attrs.axes.map((x) => axisOf(x, shape.length)))].sort((x, y) => x - y);
    const count = meanShape.reduce((p, d) => p * d, 1);
    let view: number[] | null = null;
    if (count !== 1 || meanShape.length > 0) {
      if (kept.length === 0) {
        if (count !== 1) throw notRepresentable(node, 'mean', `${count} values for no kept axis`);
        view = [];
      } else {
        const dims = shape.map((d, i) => (kept.includes(i) ? d : 1));
        if (!dims.every((d): d is number => typeof d === 'number')) throw notRepresentable(node, `axis ${JSON.stringify(node.attrs.axes)}`, 'a kept axis has no known size');
        if (dims.reduce((p, d) => p * d, 1) !== count) throw notRepresentable(node, 'mean', `${count} values do not fit the kept axes [${kept}]`);
        view = dims;
      }
    }
    const at = node.name;
    const mean = e.weightAs(node, 'mean', { dims: view });
    const variance = e.weightAs(node, 'variance', { dims: view });
    const std = e.op('Max', [e.op('Sqrt', [variance], `${at}/sqrt_variance`), e.floats(`${at}/epsilon`, [node.attrs.epsilon])], `${at}/std`);
    const x = e.value(node.inputs[0], 'keras');
    const v = node.outputs[0];
    const out = e.outputName(v, 'keras');
    if (node.attrs.invert) e.add('Add', [mean, e.op('Mul', [x, std], `${at}/scaled`)], [out], at);
    else e.add('Div', [e.op('Sub', [x, mean], `${at}/centered`), std], [out], at);
    e.define(v, out, 'keras');
  },
};
