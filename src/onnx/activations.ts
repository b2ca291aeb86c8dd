/**
 * Every kconv activation as ONNX nodes, with Keras's semantics (src/runtime/activations.ts is the
 * reference). Where ONNX has the op with the same definition (Relu, Elu, Selu, LeakyRelu,
 * HardSigmoid, ThresholdedRelu, Softplus, Softsign, Softmax...) it is used with Keras's
 * parameters; the rest are written as the exact formula Keras computes (gelu with Erf, swish as
 * x·sigmoid(x), mish as x·tanh(softplus(x)), Keras's general relu with threshold / max_value /
 * negative slope), never as an approximation. docs/onnx.md has the table.
 */
import type { Activation } from '../ir/ops.js';
import { type Dim, type Form, float, type OnnxEmitter } from './emitter.js';

// Keras's SELU constants (keras/activations: alpha and scale).
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * Emits `act` applied to tensor `x` (an IR value held in `form`, Keras shape `shape`); returns the
 * output tensor (`x` itself for linear). Nodes are named `${name}/<fn>`.
 */
export function emitActivation(e: OnnxEmitter, act: Activation, x: string, form: Form, shape: Dim[], name: string): string {
  const at = `${name}/${act.fn}`;
  const mul = (a: string, b: string, suffix: string) => e.op('Mul', [a, b], `${at}/${suffix}`);
  switch (act.fn) {
    case 'linear':
      return x;
    case 'relu':
      return relu(e, x, act.alpha ?? 0, act.maxValue ?? null, act.threshold ?? 0, at);
    case 'relu6':
      return e.op('Clip', [x, e.floats(`${at}/min`, [0]), e.floats(`${at}/max`, [6])], at);
    case 'leaky_relu':
      return e.op('LeakyRelu', [x], at, { alpha: float(act.alpha ?? 0.3) });
    case 'elu':
      return e.op('Elu', [x], at, { alpha: float(act.alpha ?? 1) });
    case 'selu':
      return e.op('Selu', [x], at, { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) });
    case 'gelu': {
      // 0.5 · x · (1 + erf(x / √2))
      const erf = e.op('Erf', [e.op('Mul', [x, e.floats(`${at}/inv_sqrt2`, [Math.SQRT1_2])], `${at}/scaled`)], `${at}/erf`);
      const onePlus = e.op('Add', [erf, e.floats(`${at}/one`, [1])], `${at}/one_plus`);
      return mul(mul(x, onePlus, 'x_times'), e.floats(`${at}/half`, [0.5]), 'half');
    }
    case 'gelu_tanh': {
      // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
      const cube = mul(mul(x, x, 'x2'), x, 'x3');
      const inner = e.op('Add', [x, mul(cube, e.floats(`${at}/c`, [0.044715]), 'cx3')], `${at}/inner`);
      const t = e.op('Tanh', [mul(inner, e.floats(`${at}/sqrt_2_over_pi`, [Math.sqrt(2 / Math.PI)]), 'scaled')], `${at}/tanh`);
      const onePlus = e.op('Add', [t, e.floats(`${at}/one`, [1])], `${at}/one_plus`);
      return mul(mul(x, onePlus, 'x_times'), e.floats(`${at}/half`, [0.5]), 'half');
    }
    case 'tanh':
      return e.op('Tanh', [x], at);
    case 'sigmoid':
      return e.op('Sigmoid', [x], at);
    case 'hard_sigmoid':
      return e.op('HardSigmoid', [x], at, { alpha: float(act.alpha ?? 0.2), beta: float(0.5) });
    case 'hard_silu':
      // x · hard_sigmoid(x) with Keras 3's slope 1/6 (ONNX HardSwish is the same but needs opset 14)
      return mul(x, e.op('HardSigmoid', [x], `${at}/hard_sigmoid`, { alpha: float(act.alpha ?? 1 / 6), beta: float(0.5) }), 'x_times');
    case 'softplus':
      return e.op('Softplus', [x], at);
    case 'softsign':
      return e.op('Softsign', [x], at);
    case 'swish':
      return mul(x, e.op('Sigmoid', [x], `${at}/sigmoid`), 'x_times');
    case 'mish':
      return mul(x, e.op('Tanh', [e.op('Softplus', [x], `${at}/softplus`)], `${at}/tanh`), 'x_times');
    case 'exponential':
      return e.op('Exp', [x], at);
    case 'thresholded_relu':
      return e.op('ThresholdedRelu', [x], at, { alpha: float(act.threshold ?? 1) });
    case 'softmax':
    case 'log_softmax':
      return e.op(act.fn === 'softmax' ? 'Softmax' : 'LogSoftmax', [x], at, { axis: onnxAxis(act.axis ?? -1, shape.length, form) });
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
function relu(e: OnnxEmitter, x: string, alpha: number, maxValue: number | null, threshold: number, at: string): string {
  if (threshold === 0 && maxValue === null) {
    return alpha === 0 ? e.op('Relu', [x], at) : e.op('LeakyRelu', [x], at, { alpha: float(alpha) });
  }
  let y: string;
  if (threshold === 0) y = e.op('Relu', [x], `${at}/positive`);
  else {
    const t = e.floats(`${at}/threshold`, [threshold]);
    y = e.op('Where', [e.op('Greater', [x, t], `${at}/above`), x, e.floats(`${at}/zero`, [0])], `${at}/positive`);
  }
  if (maxValue !== null) y = e.op('Clip', [y, e.floats(`${at}/min`, [0]), e.floats(`${at}/max`, [maxValue])], `${at}/clip`);
  if (alpha === 0) return y;
  const below = threshold === 0 ? x : e.op('Sub', [x, e.floats(`${at}/t`, [threshold])], `${at}/x_minus_t`);
  const negative = e.op('Min', [below, e.floats(`${at}/zero_`, [0])], `${at}/negative_part`);
  return e.op('Add', [y, e.op('Mul', [negative, e.floats(`${at}/alpha`, [alpha])], `${at}/slope`)], at);
}
