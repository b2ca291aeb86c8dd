/**
 * Attribute types shared by several ops. Conventions of every op's attributes:
 * - Shapes in attributes exclude the batch axis unless a field says otherwise.
 * - Axes (`axis`, `axes`) count the batch axis as 0 and are non-negative once normalized by the
 *   dialect; a dialect that cannot know the rank yet may leave a negative axis, which shape
 *   inference resolves.
 * - `layout` is 'NWC' (Keras channels_last: batch, steps, channels) or 'NCW' (channels_first).
 * - Canonical weight layouts are listed per op; src/keras reshapes/flips whatever a file stores
 *   into these before building the node, so nothing downstream sees a non-canonical weight.
 * Attributes are explicit: every default a Keras version applies is resolved by the dialect
 * (src/keras) before a node is built, never by the runtime.
 */

export type Layout = 'NWC' | 'NCW';

/**
 * Padding of the steps axis. `same` is TF's SAME, whose split depends on the input length: it is
 * resolved at compile time by src/ir/padding.ts. `theano-same` is Keras's `same` on the Theano
 * backend: `before` positions, then the first ceil(L / stride) windows (also resolved there).
 * Keras `valid` is explicit(0, 0); `causal` is explicit(dilation * (kernel - 1), 0).
 */
export type Padding = { kind: 'explicit'; before: number; after: number } | { kind: 'same' } | { kind: 'theano-same'; before: number };

export type ActivationFn =
  | 'linear'
  | 'relu' // max(x, 0) with optional negative slope (`alpha`), `maxValue` and `threshold` (Keras ReLU layer)
  | 'relu6'
  | 'leaky_relu' // x >= 0 ? x : alpha * x
  | 'elu' // x > 0 ? x : alpha * (exp(x) - 1)
  | 'selu'
  | 'gelu' // exact, with erf
  | 'gelu_tanh' // the tanh approximation
  | 'tanh'
  | 'sigmoid'
  | 'hard_sigmoid' // clip(alpha * x + 0.5, 0, 1): alpha 0.2 in Keras 1/2, 1/6 in Keras 3
  | 'hard_silu' // x * hard_sigmoid(x) (Keras 3 hard_swish/hard_silu, alpha 1/6)
  | 'softplus'
  | 'softsign'
  | 'swish' // x * sigmoid(x), a.k.a. silu
  | 'mish'
  | 'exponential'
  | 'softmax' // over `axis` (default -1)
  | 'log_softmax'
  | 'thresholded_relu' // x > threshold ? x : 0
  // Keras 3 (3.15.1 has them by name, 3.2.1 does not):
  | 'celu' // max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), alpha 1
  | 'glu' // a * sigmoid(b) with [a, b] the halves of `axis`: the output has half the axis
  | 'sparse_plus' // 0 below -1, x above 1, (x + 1)^2 / 4 between
  | 'squareplus' // (x + sqrt(x^2 + b)) / 2, b 4 (held in `alpha`)
  | 'soft_shrink' // x - t above t, x + t below -t, else 0; t 0.5 (held in `threshold`)
  | 'hard_shrink' // x where |x| > t, else 0; t 0.5 (held in `threshold`)
  | 'tanh_shrink' // x - tanh(x)
  | 'log_sigmoid' // -softplus(-x)
  | 'sparsemax' // Euclidean projection onto the simplex over `axis`
  | 'hard_tanh'; // clip(x, -1, 1)

export const ACTIVATION_FNS: readonly ActivationFn[] = [
  'linear', 'relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'gelu', 'gelu_tanh', 'tanh', 'sigmoid',
  'hard_sigmoid', 'hard_silu', 'softplus', 'softsign', 'swish', 'mish', 'exponential', 'softmax',
  'log_softmax', 'thresholded_relu', 'celu', 'glu', 'sparse_plus', 'squareplus', 'soft_shrink',
  'hard_shrink', 'tanh_shrink', 'log_sigmoid', 'sparsemax', 'hard_tanh',
];

export interface Activation {
  fn: ActivationFn;
  /** Negative slope (relu, leaky_relu), ELU alpha, or hard_sigmoid slope. */
  alpha?: number;
  /** Upper clip of relu (Keras ReLU `max_value`); null or absent means none. */
  maxValue?: number | null;
  /** relu / thresholded_relu threshold. */
  threshold?: number;
  /** softmax / log_softmax axis, may be negative (counted from the end). */
  axis?: number;
}

export const LINEAR: Activation = { fn: 'linear' };

/** Shared by every convolution-like op over the steps axis. */
export interface WindowAttrs {
  kernelSize: number;
  stride: number;
  dilation: number;
  padding: Padding;
  layout: Layout;
}
