/**
 * Every kconv activation as ONNX nodes, with Keras's semantics (src/runtime/activations.ts is the
 * reference). Where ONNX has the op with the same definition (Relu, Elu, Selu, LeakyRelu,
 * HardSigmoid, ThresholdedRelu, Softplus, Softsign, Softmax...) it is used with Keras's
 * parameters; the rest are written as the exact formula Keras computes (gelu with Erf, swish as
 * x·sigmoid(x), mish as x·tanh(softplus(x)), Keras's general relu with threshold / max_value /
 * negative slope), never as an approximation. docs/onnx.md has the table.
 */
import type { Activation } from '../ir/ops/index.js';
import { KconvError } from '../errors.js';
import type { SymShape } from '../ir/shapes.js';
import { type AttrValue, type Form, float, type OnnxEmitter } from './emitter.js';
import { ONNX_DTYPE } from './proto.js';

// Keras's SELU constants (keras/activations: alpha and scale).
export const SELU_ALPHA = 1.6732632423543772848170429916717;
export const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * Emits `act` applied to tensor `x` (an IR value held in `form`, Keras shape `shape`) into tensor
 * `out`. Nodes are named `${name}/<fn>…`; the last one, which writes `out`, `lastNode` when given
 * (an Activation layer's own name).
 */
export function emitActivation(e: OnnxEmitter, act: Activation, x: string, form: Form, shape: SymShape, name: string, out: string, lastNode?: string): void {
  const at = `${name}/${act.fn}`;
  const last = (opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}) => e.add(opType, inputs, [out], lastNode ?? at, attrs);
  const mul = (a: string, b: string, suffix: string) => e.op('Mul', [a, b], `${at}/${suffix}`);
  switch (act.fn) {
    case 'linear':
      last('Identity', [x]);
      return;
    case 'relu':
      relu(e, x, act.alpha ?? 0, act.maxValue ?? null, act.threshold ?? 0, at, last);
      return;
    case 'relu6':
      last('Clip', [x, e.floats(`${at}/min`, [0]), e.floats(`${at}/max`, [6])]);
      return;
    case 'leaky_relu':
      last('LeakyRelu', [x], { alpha: float(act.alpha ?? 0.3) });
      return;
    case 'elu':
      last('Elu', [x], { alpha: float(act.alpha ?? 1) });
      return;
    case 'selu':
      last('Selu', [x], { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) });
      return;
    case 'gelu': {
      // 0.5 · x · (1 + erf(x / √2))
      const erf = e.op('Erf', [e.op('Mul', [x, e.floats(`${at}/inv_sqrt2`, [Math.SQRT1_2])], `${at}/scaled`)], `${at}/erf`);
      const onePlus = e.op('Add', [erf, e.floats(`${at}/one`, [1])], `${at}/one_plus`);
      last('Mul', [mul(x, onePlus, 'x_times'), e.floats(`${at}/half`, [0.5])]);
      return;
    }
    case 'gelu_tanh': {
      // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
      const cube = mul(mul(x, x, 'x2'), x, 'x3');
      const inner = e.op('Add', [x, mul(cube, e.floats(`${at}/c`, [0.044715]), 'cx3')], `${at}/inner`);
      const t = e.op('Tanh', [mul(inner, e.floats(`${at}/sqrt_2_over_pi`, [Math.sqrt(2 / Math.PI)]), 'scaled')], `${at}/tanh`);
      const onePlus = e.op('Add', [t, e.floats(`${at}/one`, [1])], `${at}/one_plus`);
      last('Mul', [mul(x, onePlus, 'x_times'), e.floats(`${at}/half`, [0.5])]);
      return;
    }
    case 'tanh':
      last('Tanh', [x]);
      return;
    case 'sigmoid':
      last('Sigmoid', [x]);
      return;
    case 'hard_sigmoid':
      last('HardSigmoid', [x], { alpha: float(act.alpha ?? 0.2), beta: float(0.5) });
      return;
    case 'hard_silu':
      // x · hard_sigmoid(x) with Keras 3's slope 1/6 (ONNX HardSwish is the same but needs opset 14)
      last('Mul', [x, e.op('HardSigmoid', [x], `${at}/hard_sigmoid`, { alpha: float(act.alpha ?? 1 / 6), beta: float(0.5) })]);
      return;
    case 'softplus':
      last('Softplus', [x]);
      return;
    case 'softsign':
      last('Softsign', [x]);
      return;
    case 'swish':
      last('Mul', [x, e.op('Sigmoid', [x], `${at}/sigmoid`)]);
      return;
    case 'mish':
      last('Mul', [x, e.op('Tanh', [e.op('Softplus', [x], `${at}/softplus`)], `${at}/tanh`)]);
      return;
    case 'exponential':
      last('Exp', [x]);
      return;
    case 'thresholded_relu':
      last('ThresholdedRelu', [x], { alpha: float(act.threshold ?? 1) });
      return;
    case 'softmax':
    case 'log_softmax':
      last(act.fn === 'softmax' ? 'Softmax' : 'LogSoftmax', [x], { axis: onnxAxis(act.axis ?? -1, shape.length, form) });
      return;
    case 'celu':
      // ONNX Celu is Keras's formula: max(0, x) + min(0, alpha · (exp(x / alpha) - 1))
      last('Celu', [x], { alpha: float(act.alpha ?? 1) });
      return;
    case 'hard_tanh':
      last('Clip', [x, e.floats(`${at}/min`, [-1]), e.floats(`${at}/max`, [1])]);
      return;
    case 'tanh_shrink':
      last('Sub', [x, e.op('Tanh', [x], `${at}/tanh`)]);
      return;
    case 'log_sigmoid':
      // Keras: -softplus(-x)
      last('Neg', [e.op('Softplus', [e.op('Neg', [x], `${at}/negated`)], `${at}/softplus`)]);
      return;
    case 'soft_shrink': {
      // ONNX Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0, Keras's soft_shrink with lambd = bias = threshold
      const t = act.threshold ?? 0.5;
      last('Shrink', [x], { lambd: float(t), bias: float(t) });
      return;
    }
    case 'hard_shrink':
      // Shrink with bias 0 keeps x where |x| > threshold, as Keras's hard_shrink
      last('Shrink', [x], { lambd: float(act.threshold ?? 0.5), bias: float(0) });
      return;
    case 'squareplus': {
      // Keras: (x + sqrt(x² + b)) / 2
      const root = e.op('Sqrt', [e.op('Add', [mul(x, x, 'square'), e.floats(`${at}/b`, [act.alpha ?? 4])], `${at}/plus_b`)], `${at}/sqrt`);
      last('Div', [e.op('Add', [x, root], `${at}/sum`), e.floats(`${at}/two`, [2])]);
      return;
    }
    case 'sparse_plus': {
      // Keras: where(x <= -1, 0, where(x >= 1, x, (x + 1)² / 4)), the same comparisons (NaN falls through to the quadratic)
      const plus1 = e.op('Add', [x, e.floats(`${at}/one`, [1])], `${at}/x_plus_1`);
      const quad = e.op('Div', [mul(plus1, plus1, 'squared'), e.floats(`${at}/four`, [4])], `${at}/quadratic`);
      const upper = e.op('Where', [e.op('GreaterOrEqual', [x, e.floats(`${at}/upper`, [1])], `${at}/at_least_1`), x, quad], `${at}/upper_branch`);
      last('Where', [e.op('LessOrEqual', [x, e.floats(`${at}/lower`, [-1])], `${at}/at_most_minus_1`), e.floats(`${at}/zero`, [0]), upper]);
      return;
    }
    case 'glu': {
      // a · sigmoid(b), [a, b] the halves of the last axis (the IR allows glu there only)
      const axis = onnxAxis(-1, shape.length, form);
      const heldShape = form === 'swapped' ? [shape[0], shape[2], shape[1]] : shape;
      const n = heldShape[axis];
      if (typeof n !== 'number') throw new KconvError('NOT_REPRESENTABLE', `ONNX export of the 'glu' activation (at '${name}'): the split axis has no known size`, { where: `nodes/${name}` });
      const half = (from: number, to: number, what: string) => e.op('Slice', [x, e.int64s(`${at}/${what}_start`, [from]), e.int64s(`${at}/${what}_end`, [to]), e.int64s(`${at}/${what}_axis`, [axis])], `${at}/${what}`);
      last('Mul', [half(0, n / 2, 'a'), e.op('Sigmoid', [half(n / 2, n, 'b')], `${at}/sigmoid`)]);
      return;
    }
    case 'sparsemax': {
      // Keras 3's sparsemax as the runtime computes it (src/runtime/activations.ts): z sorted
      // descending along the axis, c its cumulative sums, support z_j - (c_j - 1) / j > 0 (j from
      // 1), tau = (sum of c_j over the support - 1) / |support|, out = max(x - tau, 0).
      const axis = onnxAxis(act.axis ?? -1, shape.length, form);
      const heldShape = form === 'swapped' ? [shape[0], shape[2], shape[1]] : shape;
      const n = heldShape[axis];
      if (typeof n !== 'number') throw new KconvError('NOT_REPRESENTABLE', `ONNX export of the 'sparsemax' activation (at '${name}'): the axis has no known size to sort`, { where: `nodes/${name}` });
      const sorted = e.add('TopK', [x, e.int64s(`${at}/k`, [n])], [e.fresh(`${at}/sorted`), e.fresh(`${at}/sorted_indices`)], `${at}/sort`, { axis });
      const cum = e.op('CumSum', [sorted, e.int64s(`${at}/axis`, [axis])], `${at}/cumsum`);
      const one = e.floats(`${at}/one`, [1]);
      const position = e.floats(`${at}/position`, Array.from({ length: n }, (_, j) => j + 1), heldShape.map((_, i) => (i === axis ? n : 1)));
      const bound = e.op('Div', [e.op('Sub', [cum, one], `${at}/cumsum_minus_1`), position], `${at}/bound`);
      const inSupport = e.op('Greater', [e.op('Sub', [sorted, bound], `${at}/margin`), e.floats(`${at}/zero`, [0])], `${at}/in_support`);
      const support = e.op('Cast', [inSupport], `${at}/support`, { to: ONNX_DTYPE.float32 });
      const axes = e.int64s(`${at}/reduce_axes`, [axis]);
      const k = e.op('ReduceSum', [support, axes], `${at}/support_size`, { keepdims: 1 });
      const cumSum = e.op('ReduceSum', [mul(cum, support, 'cumsum_in_support'), axes], `${at}/support_cumsum`, { keepdims: 1 });
      const tau = e.op('Div', [e.op('Sub', [cumSum, one], `${at}/support_cumsum_minus_1`), k], `${at}/tau`);
      last('Relu', [e.op('Sub', [x, tau], `${at}/shifted`)]);
      return;
    }
  }
}

/** A Keras axis (may be negative) of a tensor of `rank` → the axis of the tensor as held in `form`. */
export function onnxAxis(axis: number, rank: number, form: Form): number {
  const a = axis < 0 ? axis + rank : axis;
  if (form === 'swapped' && (a === 1 || a === 2)) return 3 - a;
  return a;
}

/**
 * Keras's general relu: (x > t ? x : 0), clipped to [0, maxValue] when set, plus alpha·(x - t)
 * below t. The plain and leaky cases use ONNX's own ops.
 */
function relu(e: OnnxEmitter, x: string, alpha: number, maxValue: number | null, threshold: number, at: string, last: (opType: string, inputs: string[], attrs?: Record<string, AttrValue>) => string): void {
  if (threshold === 0 && maxValue === null) {
    if (alpha === 0) last('Relu', [x]);
    else last('LeakyRelu', [x], { alpha: float(alpha) });
    return;
  }
  let y: string;
  if (threshold === 0) y = e.op('Relu', [x], `${at}/positive`);
  else {
    const t = e.floats(`${at}/threshold`, [threshold]);
    y = e.op('Where', [e.op('Greater', [x, t], `${at}/above`), x, e.floats(`${at}/zero`, [0])], `${at}/positive`);
  }
  if (maxValue !== null) {
    const clip = [y, e.floats(`${at}/min`, [0]), e.floats(`${at}/max`, [maxValue])];
    if (alpha === 0) {
      last('Clip', clip);
      return;
    }
    y = e.op('Clip', clip, `${at}/clip`);
  }
  if (alpha === 0) {
    last('Identity', [y]);
    return;
  }
  const below = threshold === 0 ? x : e.op('Sub', [x, e.floats(`${at}/t`, [threshold])], `${at}/x_minus_t`);
  const negative = e.op('Min', [below, e.floats(`${at}/zero_`, [0])], `${at}/negative_part`);
  last('Add', [y, e.op('Mul', [negative, e.floats(`${at}/alpha`, [alpha])], `${at}/slope`)]);
}
