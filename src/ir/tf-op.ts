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
export type SliceItem =
  | { index: number }
  | { start: number | null; stop: number | null; step: number | null }
  | { newAxis: true }
  | { ellipsis: true }
  /** index floor(n / 2) of an axis of n (keras-tcn's output step with 'same' padding) */
  | { middle: true };

/** An operand: the i-th tensor input of the op, or a constant (row-major, its own shape). */
export type Operand = { input: number } | { constant: number[]; shape: number[] };

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

type Dim = number | null;

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`axis ${axis} is out of range for a rank-${rank} tensor`);
  return a;
}

function broadcastDims(a: Dim[], b: Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = a.length - n + i >= 0 ? a[a.length - n + i] : 1;
    const db = b.length - n + i >= 0 ? b[b.length - n + i] : 1;
    if (da !== null && db !== null && da !== db && da !== 1 && db !== 1) throw new RangeError(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : db === 1 ? da : (da ?? db));
  }
  return out;
}

function sliceCount(n: Dim, start: number | null, stop: number | null, step: number | null): Dim {
  if (n === null) return null;
  const s = step ?? 1;
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const b = s > 0 ? (start === null ? 0 : norm(start, 0, n)) : start === null ? n - 1 : norm(start, -1, n - 1);
  const e = s > 0 ? (stop === null ? n : norm(stop, 0, n)) : stop === null ? -1 : norm(stop, -1, n - 1);
  return Math.max(0, Math.ceil((e - b) / s));
}

/**
 * The output shape of a TF op from its inputs' (batch included; null = unknown until run time).
 * Throws RangeError on shapes the op cannot take (the op module turns it into INVALID_GRAPH).
 */
export function tfOpShape(spec: TfOpSpec, inputs: Dim[][]): Dim[] {
  const x = inputs[0];
  switch (spec.kind) {
    case 'unary':
    case 'leaky_relu':
    case 'cast':
    case 'softmax':
      return [...x];
    case 'binary': {
      const shapeOf = (o: Operand) => ('input' in o ? inputs[o.input] : o.shape);
      return broadcastDims(shapeOf(spec.a), shapeOf(spec.b));
    }
    case 'reduce': {
      const axes = new Set((spec.axes ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length)));
      return spec.keepDims ? x.map((d, i) => (axes.has(i) ? 1 : d)) : x.filter((_, i) => !axes.has(i));
    }
    case 'reshape': {
      const known = x.every((d) => d !== null) ? x.reduce<number>((p, d) => p * (d as number), 1) : null;
      const fixed = spec.shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      if (spec.shape.filter((d) => d === -1).length > 1) throw new RangeError(`reshape target [${spec.shape}] has more than one -1`);
      return spec.shape.map((d) => (d !== -1 ? d : known === null ? null : known / fixed));
    }
    case 'expand_dims': {
      const out = [...x];
      out.splice(normAxis(spec.axis, x.length + 1), 0, 1);
      return out;
    }
    case 'squeeze': {
      const axes = spec.axes === null ? null : new Set(spec.axes.map((a) => normAxis(a, x.length)));
      return x.filter((d, i) => (axes ? !axes.has(i) : d !== 1));
    }
    case 'transpose': {
      const perm = spec.perm ?? x.map((_, i) => x.length - 1 - i);
      if (perm.length !== x.length) throw new RangeError(`perm [${perm}] does not fit a rank-${x.length} tensor`);
      return perm.map((a) => x[normAxis(a, x.length)]);
    }
    case 'concat': {
      const axis = normAxis(spec.axis, x.length);
      const out = [...x];
      out[axis] = inputs.some((s) => s[axis] === null) ? null : inputs.reduce((p, s) => p + (s[axis] as number), 0);
      return out;
    }
    case 'stack': {
      const out = [...x];
      out.splice(normAxis(spec.axis, x.length + 1), 0, inputs.length);
      return out;
    }
    case 'matmul': {
      const [a, b] = inputs;
      if (a.length < 2 || b.length < 2) throw new RangeError('matmul needs rank >= 2');
      const m = spec.transposeA ? a[a.length - 1] : a[a.length - 2];
      const n = spec.transposeB ? b[b.length - 2] : b[b.length - 1];
      return [...broadcastDims(a.slice(0, -2), b.slice(0, -2)), m, n];
    }
    case 'getitem': {
      const consumed = spec.spec.filter((s) => !('newAxis' in s) && !('ellipsis' in s)).length;
      const out: Dim[] = [];
      let d = 0;
      for (const s of spec.spec) {
        if ('newAxis' in s) out.push(1);
        else if ('ellipsis' in s) for (let i = 0; i < x.length - consumed; i++) out.push(x[d++]);
        else if ('index' in s || 'middle' in s) d++;
        else out.push(sliceCount(x[d++], s.start, s.stop, s.step));
      }
      while (d < x.length) out.push(x[d++]);
      return out;
    }
  }
}
