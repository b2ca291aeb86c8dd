/**
 * The TF-op table: which TensorFlow calls that tf.keras 2.4-2.15 recorded as `TFOpLambda` /
 * `SlicingOpLambda` layers kconv runs, and how their recorded call arguments map onto an op.
 *
 * The layer config names the function (`"function": "math.multiply"`, the path under `tf.`); the
 * node's call arguments (src/keras/node-calls.ts) hold the tensors and constants, e.g.
 * `["input_1", 0, 0, {"y": 2.0, "name": null}]`. Arguments bind to the TensorFlow signature's
 * parameter names positionally or by keyword, as Python would. A function not in the table, or
 * an argument kconv does not model, is refused naming it (UNSUPPORTED_LAYER / UNSUPPORTED_FEATURE);
 * nothing is ever executed.
 */
import { isKconvError, KconvError } from '../../errors.js';
import type { BinaryFn, CastDType, Operand, ReduceFn, SliceItem, TfOpSpec, UnaryFn } from '../../ir/tf-op.js';
import { callTensors, isTensorValue, type CallValue, type NodeCall, type TensorRef } from '../node-calls.js';
import { need, refuse, type Feature } from '../targets.js';

/** TF-op layers (TFOpLambda, SlicingOpLambda) are what tf.keras 2.4+ records for `tf.*` calls on Keras tensors. */
export const TF_OP_FEATURES = {
  tfOpLayer: { name: 'a TF-op layer (TFOpLambda / SlicingOpLambda)', since: { tfkeras: 4 }, verified: false },
} satisfies Record<string, Feature>;
import type { NodeOf } from '../../ir/graph.js';
import type { Json, JsonObject } from '../emit/objects.js';
import { codec, mapped, type WrittenCall } from './codec.js';

export interface TfOpCall {
  spec: TfOpSpec;
  /** The tensors the op reads, in the order its operands number them. */
  inputs: TensorRef[];
}

const UNARY: Record<string, UnaryFn> = {
  'math.abs': 'abs',
  'math.negative': 'negative',
  '__operators__.neg': 'negative',
  'math.exp': 'exp',
  'math.expm1': 'expm1',
  'math.log': 'log',
  'math.log1p': 'log1p',
  'math.sqrt': 'sqrt',
  'math.rsqrt': 'rsqrt',
  'math.square': 'square',
  'math.reciprocal': 'reciprocal',
  'math.sign': 'sign',
  'math.round': 'round',
  'math.floor': 'floor',
  'math.ceil': 'ceil',
  'math.sin': 'sin',
  'math.cos': 'cos',
  'math.tanh': 'tanh',
  'nn.tanh': 'tanh',
  'math.sigmoid': 'sigmoid',
  'nn.sigmoid': 'sigmoid',
  'math.softplus': 'softplus',
  'nn.softplus': 'softplus',
  'math.softsign': 'softsign',
  'nn.softsign': 'softsign',
  'nn.relu': 'relu',
  'nn.relu6': 'relu6',
  'nn.elu': 'elu',
  'nn.selu': 'selu',
  'nn.silu': 'silu',
  'nn.swish': 'silu',
  'math.logical_not': 'logical_not',
};

const BINARY: Record<string, BinaryFn> = {
  '__operators__.add': 'add',
  'math.add': 'add',
  'math.subtract': 'subtract',
  'math.multiply': 'multiply',
  'math.truediv': 'divide',
  'math.divide': 'divide',
  'math.floordiv': 'floordiv',
  'math.floormod': 'floormod',
  'math.pow': 'pow',
  'math.maximum': 'maximum',
  'math.minimum': 'minimum',
  'math.squared_difference': 'squared_difference',
  'math.greater': 'greater',
  'math.greater_equal': 'greater_equal',
  'math.less': 'less',
  'math.less_equal': 'less_equal',
  'math.equal': 'equal',
  'math.not_equal': 'not_equal',
  'math.logical_and': 'logical_and',
  'math.logical_or': 'logical_or',
};

const REDUCE: Record<string, ReduceFn> = {
  'math.reduce_sum': 'sum',
  'math.reduce_mean': 'mean',
  'math.reduce_max': 'max',
  'math.reduce_min': 'min',
  'math.reduce_prod': 'prod',
};

const CAST_DTYPES: CastDType[] = ['float16', 'bfloat16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'];

/** Parameter names of each signature, in positional order (TensorFlow's; `name` is ignored). */
const SIGNATURES: Record<string, string[]> = {
  unary: ['x', 'name'],
  features: ['features', 'name'],
  leaky_relu: ['features', 'alpha', 'name'],
  binary: ['x', 'y', 'name'],
  cast: ['x', 'dtype', 'name'],
  reduce: ['input_tensor', 'axis', 'keepdims', 'name'],
  softmax: ['logits', 'axis', 'name'],
  reshape: ['tensor', 'shape', 'name'],
  expand_dims: ['input', 'axis', 'name'],
  squeeze: ['input', 'axis', 'name'],
  'compat.v1.squeeze': ['input', 'axis', 'name', 'squeeze_dims'],
  transpose: ['a', 'perm', 'conjugate', 'name'],
  'compat.v1.transpose': ['a', 'perm', 'name', 'conjugate'],
  concat: ['values', 'axis', 'name'],
  stack: ['values', 'axis', 'name'],
  matmul: ['a', 'b', 'transpose_a', 'transpose_b', 'adjoint_a', 'adjoint_b', 'a_is_sparse', 'b_is_sparse', 'output_type', 'name'],
  getitem: ['tensor', 'slice_spec'],
};

/** The names of every function kconv runs, for the README and error messages. */
export const TF_OP_FUNCTIONS: string[] = [
  ...Object.keys(UNARY),
  'nn.leaky_relu',
  ...Object.keys(BINARY),
  'cast',
  ...Object.keys(REDUCE),
  'nn.softmax',
  'math.softmax',
  'nn.log_softmax',
  'math.log_softmax',
  'reshape',
  'expand_dims',
  'squeeze',
  'compat.v1.squeeze',
  'transpose',
  'compat.v1.transpose',
  'concat',
  'stack',
  'linalg.matmul',
  '__operators__.getitem',
].sort();

function bind(call: NodeCall, params: string[], fn: string, where: string): Record<string, CallValue> {
  const out: Record<string, CallValue> = {};
  if (call.args.length > params.length) {
    throw new KconvError('BAD_CONFIG', `tf.${fn} takes at most ${params.length} arguments, the call has ${call.args.length}`, { where });
  }
  call.args.forEach((a, i) => (out[params[i]] = a));
  for (const [k, v] of Object.entries(call.kwargs)) {
    if (!params.includes(k)) throw new KconvError('UNSUPPORTED_FEATURE', `tf.${fn} argument '${k}' is not one kconv models`, { where: `${where}.${k}` });
    out[k] = v;
  }
  return out;
}

class Inputs {
  readonly refs: TensorRef[] = [];
  add(ref: TensorRef): number {
    this.refs.push(ref);
    return this.refs.length - 1;
  }
}

/** A constant's values and shape, from a number or a nested list of numbers. */
function constantOf(v: CallValue, where: string): { constant: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: CallValue = v;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (x: CallValue, depth: number) => {
    if (depth === shape.length) {
      if (typeof x === 'number') flat.push(x);
      else if (typeof x === 'boolean') flat.push(x ? 1 : 0);
      else throw new KconvError('UNSUPPORTED_FEATURE', `expected a numeric constant, found ${JSON.stringify(x)?.slice(0, 60)}`, { where });
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) throw new KconvError('BAD_CONFIG', `expected a rectangular list constant, found ${JSON.stringify(v)?.slice(0, 60)}`, { where });
    x.forEach((y) => walk(y, depth + 1));
  };
  walk(v, 0);
  // float32, as TensorFlow converts a Python float next to a float32 tensor
  return { constant: flat.map(Math.fround), shape };
}

function operand(v: CallValue | undefined, inputs: Inputs, what: string, where: string): Operand {
  if (v === undefined) throw new KconvError('BAD_CONFIG', `the call has no ${what}`, { where });
  if (isTensorValue(v)) return { input: inputs.add(v.tensor) };
  return constantOf(v, `${where}.${what}`);
}

function tensorArg(v: CallValue | undefined, inputs: Inputs, what: string, where: string): void {
  if (v === undefined || !isTensorValue(v)) {
    throw new KconvError('UNSUPPORTED_FEATURE', `expected ${what} to be a tensor of the model, found ${JSON.stringify(v)?.slice(0, 60)}`, { where: `${where}.${what}` });
  }
  inputs.add(v.tensor);
}

function intArg(v: CallValue | undefined, what: string, where: string, fallback?: number): number {
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new KconvError('BAD_CONFIG', `expected ${what} to be an integer, found ${JSON.stringify(v)}`, { where: `${where}.${what}` });
  return v;
}

function intListArg(v: CallValue | undefined, what: string, where: string): number[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return [intArg(v, what, where)];
  if (Array.isArray(v)) return v.map((x, i) => intArg(x, `${what}[${i}]`, where));
  throw new KconvError('BAD_CONFIG', `expected ${what} to be an integer or a list of integers, found ${JSON.stringify(v)?.slice(0, 60)}`, { where: `${where}.${what}` });
}

function boolArg(v: CallValue | undefined, what: string, where: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new KconvError('BAD_CONFIG', `expected ${what} to be true or false, found ${JSON.stringify(v)}`, { where: `${where}.${what}` });
  return v;
}

function sliceSpec(v: CallValue | undefined, where: string): SliceItem[] {
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return items.map((s, i) => {
    const at = `${where}.slice_spec[${i}]`;
    if (typeof s === 'number' && Number.isInteger(s)) return { index: s };
    if (s === null) return { newAxis: true };
    if (s && typeof s === 'object' && !Array.isArray(s) && !isTensorValue(s)) {
      const o = s as Record<string, CallValue>;
      if ('start' in o || 'stop' in o || 'step' in o) {
        const bound = (k: string) => {
          const b = o[k];
          if (b === undefined || b === null) return null;
          if (typeof b === 'number' && Number.isInteger(b)) return b;
          throw new KconvError('UNSUPPORTED_FEATURE', `slice ${k} ${JSON.stringify(b)?.slice(0, 60)} is not an integer (tensor-valued slices are not implemented)`, { where: at });
        };
        return { start: bound('start'), stop: bound('stop'), step: bound('step') };
      }
    }
    if (s === 'Ellipsis' || s === '...') return { ellipsis: true };
    throw new KconvError('UNSUPPORTED_FEATURE', `subscript item ${JSON.stringify(s)?.slice(0, 60)} is not an index, a slice or None`, { where: at });
  });
}

/**
 * Maps one recorded TF call (the layer config's `function` and one node's call) onto an op.
 * `className` is TFOpLambda or SlicingOpLambda, for messages.
 */
export function tfOpFromCall(fn: string, call: NodeCall, where: string): TfOpCall {
  const inputs = new Inputs();
  const done = (spec: TfOpSpec): TfOpCall => ({ spec, inputs: inputs.refs });
  if (fn in UNARY) {
    const usesFeatures = fn.startsWith('nn.') || fn === 'math.softplus' || fn === 'math.softsign';
    const params = usesFeatures ? SIGNATURES.features : SIGNATURES.unary;
    const a = bind(call, params, fn, where);
    tensorArg(a[params[0]], inputs, params[0], where);
    return done({ kind: 'unary', fn: UNARY[fn] });
  }
  if (fn === 'nn.leaky_relu') {
    const a = bind(call, SIGNATURES.leaky_relu, fn, where);
    tensorArg(a.features, inputs, 'features', where);
    const alpha = a.alpha ?? 0.2;
    if (typeof alpha !== 'number') throw new KconvError('BAD_CONFIG', `expected alpha to be a number, found ${JSON.stringify(alpha)}`, { where: `${where}.alpha` });
    return done({ kind: 'leaky_relu', alpha });
  }
  if (fn in BINARY) {
    const a = bind(call, SIGNATURES.binary, fn, where);
    return done({ kind: 'binary', fn: BINARY[fn], a: operand(a.x, inputs, 'x', where), b: operand(a.y, inputs, 'y', where) });
  }
  if (fn === 'cast') {
    const a = bind(call, SIGNATURES.cast, fn, where);
    tensorArg(a.x, inputs, 'x', where);
    const dtype = a.dtype;
    if (typeof dtype !== 'string' || !CAST_DTYPES.includes(dtype as CastDType)) {
      throw new KconvError('UNSUPPORTED_FEATURE', `tf.cast to ${JSON.stringify(dtype)} is not implemented (kconv casts to ${CAST_DTYPES.join(', ')})`, { where: `${where}.dtype` });
    }
    return done({ kind: 'cast', dtype: dtype as CastDType });
  }
  if (fn in REDUCE) {
    const a = bind(call, SIGNATURES.reduce, fn, where);
    tensorArg(a.input_tensor, inputs, 'input_tensor', where);
    return done({ kind: 'reduce', fn: REDUCE[fn], axes: intListArg(a.axis, 'axis', where), keepDims: boolArg(a.keepdims, 'keepdims', where, false) });
  }
  if (fn === 'nn.softmax' || fn === 'math.softmax' || fn === 'nn.log_softmax' || fn === 'math.log_softmax') {
    const a = bind(call, SIGNATURES.softmax, fn, where);
    tensorArg(a.logits, inputs, 'logits', where);
    return done({ kind: 'softmax', axis: intArg(a.axis, 'axis', where, -1), log: fn.endsWith('log_softmax') });
  }
  if (fn === 'reshape') {
    const a = bind(call, SIGNATURES.reshape, fn, where);
    tensorArg(a.tensor, inputs, 'tensor', where);
    const shape = intListArg(a.shape, 'shape', where);
    if (!shape) throw new KconvError('BAD_CONFIG', 'tf.reshape without a shape', { where });
    return done({ kind: 'reshape', shape });
  }
  if (fn === 'expand_dims') {
    const a = bind(call, SIGNATURES.expand_dims, fn, where);
    tensorArg(a.input, inputs, 'input', where);
    return done({ kind: 'expand_dims', axis: intArg(a.axis, 'axis', where) });
  }
  if (fn === 'squeeze' || fn === 'compat.v1.squeeze') {
    const a = bind(call, SIGNATURES[fn], fn, where);
    tensorArg(a.input, inputs, 'input', where);
    return done({ kind: 'squeeze', axes: intListArg(a.axis ?? a.squeeze_dims, 'axis', where) });
  }
  if (fn === 'transpose' || fn === 'compat.v1.transpose') {
    const a = bind(call, SIGNATURES[fn], fn, where);
    tensorArg(a.a, inputs, 'a', where);
    return done({ kind: 'transpose', perm: intListArg(a.perm, 'perm', where) });
  }
  if (fn === 'concat' || fn === 'stack') {
    const a = bind(call, SIGNATURES[fn], fn, where);
    const values = a.values;
    if (!Array.isArray(values) || values.length === 0) throw new KconvError('BAD_CONFIG', `expected tf.${fn} values to be a list of tensors, found ${JSON.stringify(values)?.slice(0, 60)}`, { where });
    values.forEach((v, i) => tensorArg(v, inputs, `values[${i}]`, where));
    return done({ kind: fn, axis: intArg(a.axis, 'axis', where, 0) });
  }
  if (fn === 'linalg.matmul') {
    const a = bind(call, SIGNATURES.matmul, fn, where);
    tensorArg(a.a, inputs, 'a', where);
    tensorArg(a.b, inputs, 'b', where);
    for (const k of ['adjoint_a', 'adjoint_b', 'a_is_sparse', 'b_is_sparse']) {
      // real-valued: adjoint = transpose; sparsity is only a speed hint
      if (k.startsWith('adjoint') && a[k] === true) a[k.replace('adjoint', 'transpose')] = true;
    }
    if (a.output_type !== undefined && a.output_type !== null && a.output_type !== 'float32') {
      throw new KconvError('UNSUPPORTED_FEATURE', `tf.linalg.matmul output_type ${JSON.stringify(a.output_type)}`, { where: `${where}.output_type` });
    }
    return done({ kind: 'matmul', transposeA: boolArg(a.transpose_a, 'transpose_a', where, false), transposeB: boolArg(a.transpose_b, 'transpose_b', where, false) });
  }
  if (fn === '__operators__.getitem') {
    const a = bind(call, SIGNATURES.getitem, fn, where);
    tensorArg(a.tensor, inputs, 'tensor', where);
    return done({ kind: 'getitem', spec: sliceSpec(a.slice_spec, where) });
  }
  throw new KconvError('UNSUPPORTED_LAYER', `tf.${fn} is not one of the TensorFlow ops kconv runs (${TF_OP_FUNCTIONS.length} are: see the README)`, { where });
}

/**
 * The TF-op layers' codec. `read` keeps the recorded function name; each call is planned from its
 * arguments (a TF op layer is called once, but nothing here assumes it). A function or argument
 * kconv does not run still loads, as an Unsupported node naming it.
 */
export const tfOpCodec = codec({
  classes: ['TFOpLambda', 'SlicingOpLambda'],
  ops: ['TfOp'],
  read(className, cfg, w) {
    w.none();
    const fn = cfg.string('function');
    return mapped('TfOp', { function: fn, spec: { kind: 'unary', fn: 'abs' } }, {});
  },
  planCall(layer, call, ctx) {
    const fn = (layer.attrs as { function: string }).function;
    let op: TfOpCall;
    try {
      op = tfOpFromCall(fn, call, ctx.where);
    } catch (e) {
      if (!isKconvError(e) || (e.code !== 'UNSUPPORTED_LAYER' && e.code !== 'UNSUPPORTED_FEATURE')) throw e;
      // loads, refuses to run (UNSUPPORTED_LAYER naming the op) when the model is compiled
      const tensors = callTensors(call);
      return {
        inputs: tensors,
        nodes: [{ op: 'Unsupported', suffix: '', inputs: tensors.map((_, i) => ({ call: i })), attrs: { className: `tf.${fn}`, reason: e.message }, weights: {}, output: 0 }],
      };
    }
    return { inputs: op.inputs, nodes: [{ op: 'TfOp', suffix: '', inputs: op.inputs.map((_, i) => ({ call: i })), attrs: { function: fn, spec: op.spec }, weights: {}, output: 0 }] };
  },
  write: {
    TfOp: (node) => ({ className: node.attrs.spec.kind === 'getitem' ? 'SlicingOpLambda' : 'TFOpLambda', body: { function: node.attrs.function } }),
  },
  writeCalls: (nodes) => nodes.map((n) => ({ ...tfOpCall(n), preserveStructure: true })),
  check(node, target) {
    // Keras 3, standalone Keras 2 and tf.keras before 2.4 have no TF-op layers at all: the
    // refusal names the oldest target that holds one
    need(node, target, { ...TF_OP_FEATURES.tfOpLayer, name: `${TF_OP_FEATURES.tfOpLayer.name} (tf.${node.attrs.function})` });
    const spec = node.attrs.spec;
    if (spec.kind === 'getitem' && spec.spec.some((x) => 'ellipsis' in x || 'middle' in x)) {
      refuse(node, target, `tf.${node.attrs.function} with an Ellipsis or computed subscript (how tf.keras records it in a call is not known to kconv)`, {});
    }
  },
  features: TF_OP_FEATURES,
});

/** A constant operand as Python wrote it: a number, or nested lists of its shape. */
function constantJson(c: { constant: number[]; shape: number[] }): Json {
  if (c.shape.length === 0) return c.constant[0];
  const build = (dim: number, offset: number): Json => {
    const n = c.shape[dim];
    const stride = c.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => (dim === c.shape.length - 1 ? c.constant[offset + i] : build(dim + 1, offset + i * stride)));
  };
  return build(0, 0);
}

/**
 * One TF-op node as the call tf.keras records (the inverse of tfOpFromCall): the first tensor
 * positional, the other arguments by keyword under TensorFlow's parameter names, a constant first
 * operand as `_CONSTANT_VALUE`, concat/stack values as a list argument.
 */
function tfOpCall(node: NodeOf<'TfOp'>): WrittenCall {
  const spec = node.attrs.spec;
  const t = (i: number) => node.inputs[i];
  const call = (first: string, kwargs: JsonObject, tensorKwargs: Record<string, string> = {}): WrittenCall => ({ outputs: node.outputs, args: [first], tensorKwargs, kwargs });
  switch (spec.kind) {
    case 'unary':
    case 'cast':
    case 'softmax':
      return call(t(0), {
        ...(spec.kind === 'cast' ? { dtype: spec.dtype } : {}),
        ...(spec.kind === 'softmax' ? { axis: spec.axis } : {}),
        name: null,
      });
    case 'leaky_relu':
      return call(t(0), { alpha: spec.alpha, name: null });
    case 'binary': {
      const kwargs: JsonObject = {};
      const tensorKwargs: Record<string, string> = {};
      if ('input' in spec.b) tensorKwargs.y = t(spec.b.input);
      else kwargs.y = constantJson(spec.b);
      kwargs.name = null;
      const first = 'input' in spec.a ? t(spec.a.input) : { constant: constantJson(spec.a) };
      return { outputs: node.outputs, args: [first], tensorKwargs, kwargs };
    }
    case 'reduce':
      return call(t(0), { axis: spec.axes, keepdims: spec.keepDims, name: null });
    case 'reshape':
      return call(t(0), { shape: spec.shape, name: null });
    case 'expand_dims':
      return call(t(0), { axis: spec.axis, name: null });
    case 'squeeze':
      return call(t(0), { axis: spec.axes, name: null });
    case 'transpose':
      return call(t(0), { perm: spec.perm, name: null });
    case 'concat':
    case 'stack':
      return { outputs: node.outputs, args: [node.inputs], tensorKwargs: {}, kwargs: { axis: spec.axis, name: null } };
    case 'matmul':
      return call(t(0), { ...(spec.transposeA ? { transpose_a: true } : {}), ...(spec.transposeB ? { transpose_b: true } : {}) }, { b: t(1) });
    case 'getitem':
      return call(t(0), {
        slice_spec: spec.spec.map((x): Json => ('index' in x ? x.index : 'newAxis' in x ? null : 'start' in x ? { start: x.start, stop: x.stop, step: x.step } : null)),
      });
  }
}
