/**
 * The TensorFlow ops kconv runs for tf.keras's TFOpLambda / SlicingOpLambda layers: one IR
 * description shared by the Keras mapping (src/keras/layers/tf-op.ts) and the kernels
 * (src/runtime/kernels/tf-ops.ts). Axes count the batch axis (TensorFlow's view of the tensor).
 */

export type UnaryFn =
  | 'abs'
  | 'negative'
  | 'exp'
  | 'expm1'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'rsqrt'
  | 'square'
  | 'reciprocal'
  | 'sign'
  | 'round'
  | 'floor'
  | 'ceil'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'softplus'
  | 'softsign'
  | 'relu'
  | 'relu6'
  | 'elu'
  | 'selu'
  | 'silu'
  | 'logical_not';

export type BinaryFn =
  | 'add'
  | 'subtract'
  | 'multiply'
  | 'divide'
  | 'floordiv'
  | 'floormod'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'squared_difference'
  | 'greater'
  | 'greater_equal'
  | 'less'
  | 'less_equal'
  | 'equal'
  | 'not_equal'
  | 'logical_and'
  | 'logical_or';

export type ReduceFn = 'sum' | 'mean' | 'max' | 'min' | 'prod';

export type CastDType = 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'bool';

/** One item of a Python subscript on a tensor: an index, a slice, or a new axis (None). */
export type SliceItem = { index: number } | { start: number | null; stop: number | null; step: number | null } | { newAxis: true } | { ellipsis: true };

/** An operand: the i-th tensor input of the op, or a constant (row-major, its own shape). */
export type Operand = { input: number } | { constant: Float32Array; shape: number[] };

export type TfOpSpec =
  | { kind: 'unary'; fn: UnaryFn }
  | { kind: 'leaky_relu'; alpha: number }
  | { kind: 'binary'; fn: BinaryFn; a: Operand; b: Operand }
  | { kind: 'cast'; dtype: CastDType }
  | { kind: 'reduce'; fn: ReduceFn; axes: number[] | null; keepDims: boolean }
  | { kind: 'softmax'; axis: number; log: boolean }
  | { kind: 'reshape'; shape: number[] }
  | { kind: 'expand_dims'; axis: number }
  | { kind: 'squeeze'; axes: number[] | null }
  | { kind: 'transpose'; perm: number[] | null }
  | { kind: 'concat'; axis: number }
  | { kind: 'stack'; axis: number }
  | { kind: 'matmul'; transposeA: boolean; transposeB: boolean }
  | { kind: 'getitem'; spec: SliceItem[] };
