/**
 * TfOp (tf.keras's TFOpLambda / SlicingOpLambda, and keras-tcn's slicing and reversal nodes) →
 * the ONNX ops with the same definition, in Keras's layout. src/runtime/kernels/tf-ops.ts is the
 * reference: every value is float32 (comparisons and logical ops give 0/1, casts to integers
 * truncate toward zero), so results are cast back to float and integer casts are written as
 * sign(x)·floor(|x|). Axis changes (expand_dims, squeeze, indexing, stack) are Reshapes, whose form
 * is the same in every opset (Unsqueeze/Squeeze moved their axes to an input in opset 13).
 * Ops ONNX has no exact form of (expm1, log1p, float16 casts) are refused naming the layer and op.
 */
import type { NodeOf } from '../../ir/graph.js';
import type { SymShape } from '../../ir/shapes.js';
import type { Operand, SliceItem, TfOpSpec } from '../../ir/tf-op.js';
import { SELU_ALPHA, SELU_SCALE } from '../activations.js';
import type { OnnxCodec } from '../codec.js';
import { type AttrValue, float, notRepresentable, type OnnxEmitter } from '../emitter.js';
import { ONNX_DTYPE } from '../proto.js';

type TfNode = NodeOf<'TfOp'>;

/** A slice bound past either end (ONNX Slice clamps it to the axis, as Python does). */
const BIG = 2 ** 62;

function norm(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The float32 tensor of input `i` (integer model inputs are cast: the runtime holds every value as float32). */
function input(node: TfNode, e: OnnxEmitter, i: number): string {
  const v = node.inputs[i];
  const x = e.value(v, 'keras');
  if (e.elemType(v) === ONNX_DTYPE.float32) return x;
  return e.op('Cast', [x], `${node.name}/input${i}_to_float32`, { to: ONNX_DTYPE.float32 });
}

/**
 * Reshape `x` to the op's output shape. `source[j]` is the axis of `x` output axis j comes from
 * (-1: a new axis); an unknown output axis is copied (0) when it sits at its source's position,
 * else inferred (-1, at most once).
 */
function reshapeTo(node: TfNode, e: OnnxEmitter, x: string, out: SymShape, source: number[], name: string, last: boolean, outName: string): string {
  let inferred = 0;
  const target = out.map((d, j) => {
    if (d !== null) return d;
    if (source[j] === j) return 0;
    inferred++;
    return -1;
  });
  if (inferred > 1) throw notRepresentable(node, `tf.${node.attrs.function}`, `the output shape [${out.map((d) => d ?? '?')}] has more than one axis of unknown size away from its input position`);
  const shape = e.int64s(`${node.name}/shape`, target);
  return last ? e.add('Reshape', [x, shape], [outName], name) : e.op('Reshape', [x, shape], name);
}

export const tfOp: OnnxCodec<'TfOp'> = {
  emit(node, e) {
    const spec = node.attrs.spec;
    const at = node.name;
    const v = node.outputs[0];
    const outName = e.outputName(v, 'keras');
    const outShape = e.shape(v);
    const last = (opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}) => e.add(opType, inputs, [outName], at, attrs);
    const refuse = (why: string) => notRepresentable(node, `tf.${node.attrs.function}`, why);
    const x0 = () => input(node, e, 0);
    const toFloat = (b: string) => last('Cast', [b], { to: ONNX_DTYPE.float32 });
    const nonZero = (x: string, what: string) => e.op('Not', [floatEqual(e, x, e.floats(`${at}/zero`, [0]), `${at}/${what}_is_zero`)], `${at}/${what}_nonzero`);
    switch (spec.kind) {
      case 'unary':
        emitUnary(node, e, spec.fn, x0(), last, refuse);
        break;
      case 'leaky_relu':
        last('LeakyRelu', [x0()], { alpha: float(spec.alpha) });
        break;
      case 'binary': {
        const operand = (o: Operand, which: string) => ('input' in o ? input(node, e, o.input) : e.floats(`${at}/${which}`, o.constant, o.shape));
        const a = operand(spec.a, 'a');
        const b = operand(spec.b, 'b');
        const simple: Record<string, string> = { add: 'Add', subtract: 'Sub', multiply: 'Mul', divide: 'Div', pow: 'Pow', maximum: 'Max', minimum: 'Min' };
        const compare: Record<string, string> = { greater: 'Greater', greater_equal: 'GreaterOrEqual', less: 'Less', less_equal: 'LessOrEqual' };
        if (simple[spec.fn]) last(simple[spec.fn], [a, b]);
        else if (spec.fn === 'equal') toFloat(floatEqual(e, a, b, `${at}/equal`));
        else if (compare[spec.fn]) toFloat(e.op(compare[spec.fn], [a, b], `${at}/${spec.fn}`));
        else if (spec.fn === 'not_equal') toFloat(e.op('Not', [floatEqual(e, a, b, `${at}/equal`)], `${at}/not_equal`));
        else if (spec.fn === 'logical_and' || spec.fn === 'logical_or') toFloat(e.op(spec.fn === 'logical_and' ? 'And' : 'Or', [nonZero(a, 'a'), nonZero(b, 'b')], `${at}/${spec.fn}`));
        else if (spec.fn === 'squared_difference') {
          const d = e.op('Sub', [a, b], `${at}/difference`);
          last('Mul', [d, d]);
        } else if (spec.fn === 'floordiv') last('Floor', [e.op('Div', [a, b], `${at}/quotient`)]);
        else if (spec.fn === 'floormod') {
          // TensorFlow's floormod: r = fmod(a, b), plus b when r ≠ 0 and r and b differ in sign
          const r = e.op('Mod', [a, b], `${at}/fmod`, { fmod: 1 });
          const zero = e.floats(`${at}/zero_`, [0]);
          const signsDiffer = e.op('Xor', [e.op('Less', [b, zero], `${at}/b_negative`), e.op('Less', [r, zero], `${at}/r_negative`)], `${at}/signs_differ`);
          const adjust = e.op('And', [nonZero(r, 'r'), signsDiffer], `${at}/adjust`);
          last('Where', [adjust, e.op('Add', [r, b], `${at}/r_plus_b`), r]);
        } else throw refuse(`the binary op '${spec.fn}' has no ONNX form in kconv`);
        break;
      }
      case 'cast': {
        const x = x0();
        if (spec.dtype === 'float32' || spec.dtype === 'float64') last('Identity', [x]);
        else if (spec.dtype === 'bool') toFloat(nonZero(x, 'x'));
        else if (spec.dtype === 'float16' || spec.dtype === 'bfloat16') throw refuse(`a cast to ${spec.dtype}: kconv's runtime keeps the float32 value, and the ONNX Cast would round it, so the two would not agree`);
        else last('Mul', [e.op('Sign', [x], `${at}/sign`), e.op('Floor', [e.op('Abs', [x], `${at}/abs`)], `${at}/floor_abs`)]); // truncation toward zero
        break;
      }
      case 'reduce': {
        const x = x0();
        const rank = e.shape(node.inputs[0]).length;
        const axes = spec.axes === null ? null : [...new Set(spec.axes.map((a) => norm(a, rank)))].sort((p, q) => p - q);
        const op = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', prod: 'ReduceProd' }[spec.fn];
        const keepdims = spec.keepDims ? 1 : 0;
        // ReduceSum takes its axes as an input from opset 13; the others as an attribute through 17
        if (op === 'ReduceSum') last(op, axes === null ? [x] : [x, e.int64s(`${at}/axes`, axes)], { keepdims });
        else last(op, [x], axes === null ? { keepdims } : { axes, keepdims });
        break;
      }
      case 'softmax':
        last(spec.log ? 'LogSoftmax' : 'Softmax', [x0()], { axis: norm(spec.axis, e.shape(node.inputs[0]).length) });
        break;
      case 'reshape':
        if (spec.shape.includes(0)) throw refuse('a target shape with a 0 (ONNX Reshape copies the input axis there)');
        last('Reshape', [x0(), e.int64s(`${at}/shape`, spec.shape)]);
        break;
      case 'expand_dims': {
        const a = norm(spec.axis, outShape.length);
        reshapeTo(node, e, x0(), outShape, outShape.map((_, j) => (j < a ? j : j === a ? -1 : j - 1)), at, true, outName);
        break;
      }
      case 'squeeze': {
        const inShape = e.shape(node.inputs[0]);
        const axes = spec.axes === null ? null : new Set(spec.axes.map((a) => norm(a, inShape.length)));
        if (axes === null && inShape.some((d) => d === null)) throw refuse('squeeze without axes of a tensor with an axis of unknown size (which axes go is known only at run time)');
        const kept = inShape.map((_, i) => i).filter((i) => (axes ? !axes.has(i) : inShape[i] !== 1));
        reshapeTo(node, e, x0(), outShape, kept, at, true, outName);
        break;
      }
      case 'transpose': {
        const rank = e.shape(node.inputs[0]).length;
        const perm = (spec.perm ?? [...Array(rank).keys()].reverse()).map((a) => norm(a, rank));
        last('Transpose', [x0()], { perm });
        break;
      }
      case 'concat':
        last('Concat', node.inputs.map((_, i) => input(node, e, i)), { axis: norm(spec.axis, outShape.length) });
        break;
      case 'stack': {
        const a = norm(spec.axis, outShape.length);
        const parts = node.inputs.map((iv, i) => {
          const s = e.shape(iv);
          const expanded = [...s.slice(0, a), 1, ...s.slice(a)];
          return reshapeTo(node, e, input(node, e, i), expanded, expanded.map((_, j) => (j < a ? j : j === a ? -1 : j - 1)), `${at}/expand${i}`, false, '');
        });
        last('Concat', parts, { axis: a });
        break;
      }
      case 'matmul': {
        const operand = (i: number, t: boolean) => {
          const x = input(node, e, i);
          if (!t) return x;
          const rank = e.shape(node.inputs[i]).length;
          const perm = [...Array(rank).keys()];
          [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
          return e.op('Transpose', [x], `${at}/transpose${i}`, { perm });
        };
        last('MatMul', [operand(0, spec.transposeA), operand(1, spec.transposeB)]);
        break;
      }
      case 'getitem':
        getItem(node, e, spec.spec, x0(), outShape, outName, refuse);
        break;
    }
    e.define(v, outName, 'keras');
  },
};

/** Equal of two float tensors: ONNX Equal takes floats from opset 11 (before: integers and bool). */
function floatEqual(e: OnnxEmitter, a: string, b: string, name: string): string {
  e.require(11, `Equal on floats (node '${name}')`);
  return e.op('Equal', [a, b], name);
}

function emitUnary(node: TfNode, e: OnnxEmitter, fn: Extract<TfOpSpec, { kind: 'unary' }>['fn'], x: string, last: (op: string, inputs: string[], attrs?: Record<string, AttrValue>) => string, refuse: (why: string) => Error): void {
  const at = node.name;
  const direct: Record<string, string> = {
    abs: 'Abs', negative: 'Neg', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', reciprocal: 'Reciprocal', sign: 'Sign', round: 'Round',
    floor: 'Floor', ceil: 'Ceil', sin: 'Sin', cos: 'Cos', tanh: 'Tanh', sigmoid: 'Sigmoid', softplus: 'Softplus', softsign: 'Softsign', relu: 'Relu',
  };
  if (direct[fn]) {
    // ONNX Round rounds half to even, as tf.math.round
    last(direct[fn], [x]);
    return;
  }
  switch (fn) {
    case 'rsqrt':
      last('Reciprocal', [e.op('Sqrt', [x], `${at}/sqrt`)]);
      return;
    case 'square':
      last('Mul', [x, x]);
      return;
    case 'relu6':
      last('Clip', [x, e.floats(`${at}/min`, [0]), e.floats(`${at}/max`, [6])]);
      return;
    case 'elu':
      last('Elu', [x], { alpha: float(1) });
      return;
    case 'selu':
      last('Selu', [x], { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) });
      return;
    case 'silu':
      last('Mul', [x, e.op('Sigmoid', [x], `${at}/sigmoid`)]);
      return;
    case 'logical_not':
      last('Cast', [floatEqual(e, x, e.floats(`${at}/zero`, [0]), `${at}/is_zero`)], { to: ONNX_DTYPE.float32 });
      return;
    case 'expm1':
    case 'log1p':
      throw refuse(`ONNX has no ${fn}, and ${fn === 'expm1' ? 'exp(x) - 1' : 'log(1 + x)'} loses the precision near 0 that TensorFlow's ${fn} keeps`);
    default:
      throw refuse(`the unary op '${fn}' has no ONNX form in kconv`);
  }
}

/** `x[spec]`: one Slice over the sliced and indexed axes, then a Reshape dropping indexed axes and adding new ones. */
function getItem(node: TfNode, e: OnnxEmitter, spec: SliceItem[], x: string, outShape: SymShape, outName: string, refuse: (why: string) => Error): void {
  const at = node.name;
  const inShape = e.shape(node.inputs[0]);
  const consumed = spec.filter((s) => !('newAxis' in s) && !('ellipsis' in s)).length;
  const full: SliceItem[] = [];
  for (const s of spec) {
    if ('ellipsis' in s) for (let i = 0; i < inShape.length - consumed; i++) full.push({ start: null, stop: null, step: null });
    else full.push(s);
  }
  while (full.filter((s) => !('newAxis' in s)).length < inShape.length) full.push({ start: null, stop: null, step: null });
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const source: number[] = [];
  let reshape = false;
  let d = 0;
  for (const s of full) {
    if ('newAxis' in s) {
      source.push(-1);
      reshape = true;
      continue;
    }
    if ('index' in s || 'middle' in s) {
      let i: number;
      if ('middle' in s) {
        const n = inShape[d];
        if (n === null) throw refuse(`the middle step of axis ${d}, whose size is known only at run time`);
        i = Math.floor(n / 2);
      } else i = s.index;
      starts.push(i);
      ends.push(i === -1 ? BIG : i + 1);
      axes.push(d);
      steps.push(1);
      reshape = true;
    } else if ('start' in s) {
      const step = s.step ?? 1;
      if (s.start !== null || s.stop !== null || step !== 1) {
        starts.push(s.start ?? (step > 0 ? 0 : BIG));
        ends.push(s.stop ?? (step > 0 ? BIG : -BIG));
        axes.push(d);
        steps.push(step);
      }
      source.push(d);
    }
    d++;
  }
  const finalReshape = reshape;
  let y = x;
  if (axes.length > 0) {
    const inputs = [x, e.int64s(`${at}/starts`, starts), e.int64s(`${at}/ends`, ends), e.int64s(`${at}/axes`, axes), e.int64s(`${at}/steps`, steps)];
    if (finalReshape) y = e.op('Slice', inputs, `${at}/slice`);
    else {
      e.add('Slice', inputs, [outName], at);
      return;
    }
  }
  if (finalReshape) reshapeTo(node, e, y, outShape, source, at, true, outName);
  else e.add('Identity', [y], [outName], at);
}
