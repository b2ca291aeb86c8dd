/**
 * The state of one IR graph → ONNX graph translation, shared by the per-op codecs (src/onnx/ops):
 * the ONNX nodes and initializers emitted so far, what ONNX tensor holds each IR value, the opset
 * the emitted nodes need, and which initializer holds which IR weight (for the read-back check).
 *
 * Layout. Keras 1-D models are mostly channels-last (NWC) while ONNX's Conv, pooling and
 * BatchNormalization want channels at axis 1. A rank-3 IR value can therefore be held in one of
 * two forms: 'keras' (the tensor exactly as Keras sees it) or 'swapped' (steps and channels axes
 * exchanged: NCW for an NWC model). Codecs ask for the form they need (`value(v, form)`); a
 * Transpose is emitted only when a value is asked for in a form it does not exist in yet, and at
 * most once per value and form. A chain of convolutions, pooling and elementwise layers thus runs
 * in NCW with a Transpose at the input and one where a layer needs the Keras layout (Dense, Flatten,
 * Reshape, an output).
 *
 * Shapes. Each value's Keras shape is the IR's own (inferDeclaredShapes: each op's shape rule from
 * src/ir/ops, with a `None` batch or steps axis kept unknown as null), so no codec computes one.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { type Dim, inferDeclaredShapes, type SymShape } from '../ir/shapes.js';
import { type DType, type Tensor, type TypedArray, allocate, numElements } from '../tensor.js';
import { ATTR_TYPE, ONNX_DTYPE, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './proto.js';

export type { Dim };

export type Form = 'keras' | 'swapped';

/** An attribute value: numbers and number arrays are INT(S); wrap a float with `float()`, a float list with `floats()`. */
export type AttrValue = number | number[] | string | string[] | { float: number } | { floats: number[] } | { graph: GraphProto };

export const float = (x: number): { float: number } => ({ float: x });
export const floats = (xs: number[]): { floats: number[] } => ({ floats: xs });

/**
 * The opset from which each ONNX op accepts the form kconv emits (inputs, attributes, broadcasting
 * rules), valid through opset 17, the highest kconv writes. docs/onnx.md lists why each number.
 */
export const OP_SINCE: Record<string, number> = {
  Add: 7, Sub: 7, Celu: 12, GreaterOrEqual: 12, LessOrEqual: 12, Neg: 6, Shrink: 9, Abs: 6, Ceil: 6, Cos: 7, Floor: 6, Less: 9, Log: 6, Mod: 10, Or: 7, And: 7, Xor: 7, Pow: 7, Reciprocal: 6, ReduceMin: 1, ReduceProd: 1, ReduceSum: 13, Round: 11, Sign: 9, Sin: 7, TopK: 10, CumSum: 11, Mul: 7, Div: 7, Max: 8, Min: 8,
  AveragePool: 7, BatchNormalization: 7, Cast: 6, Clip: 11, Concat: 4, Conv: 1, ConvTranspose: 1,
  Elu: 6, Equal: 7, Erf: 9, Exp: 6, Expand: 8, Flatten: 1, GRU: 7, Gather: 1, Gemm: 7, GlobalAveragePool: 1, GlobalMaxPool: 1,
  Greater: 9, HardSigmoid: 6, Identity: 1, LSTM: 7, LayerNormalization: 17, LeakyRelu: 6,
  LogSoftmax: 13, MatMul: 1, MaxPool: 1, Not: 1, Pad: 11, PRelu: 7, ReduceMax: 1, ReduceMean: 1,
  RNN: 7, Relu: 6, Reshape: 5, Scan: 9, Selu: 6, Shape: 1, Sigmoid: 6, Slice: 10, Softmax: 13, Softplus: 1, Softsign: 1,
  Sqrt: 6, Tanh: 6, ThresholdedRelu: 10, Tile: 6, Transpose: 1, Where: 9,
};

/**
 * The lowest opset kconv writes: onnxruntime guarantees support from opset 7, and every op form
 * above is valid from its own number on.
 */
export const MIN_OPSET = 7;
/** The highest: every form in OP_SINCE is still valid there (ReduceMean takes `axes` as an attribute up to 17). */
export const MAX_OPSET = 17;

/** Which initializer holds which IR weight, and how it was rearranged (for the read-back check). */
export interface WeightPlacement {
  initializer: string;
  weightKey: string;
  /** The initializer's element (i0, i1, ...) is the IR tensor's element at `perm` of those indices (see permute), or null when stored as is. */
  perm: number[] | null;
  /** The shape the IR tensor was viewed as before permuting (same elements, row-major), when it differs from `shape`. */
  viewShape: number[] | null;
  /**
   * Blocks of the viewed tensor put in another order before permuting: output index k along
   * `axis` is the view's index order[k] (Keras's LSTM gates i, f, c, o → ONNX's i, o, f, c); null
   * when none.
   */
  blocks: { axis: number; order: number[] } | null;
  /** The initializer's dims when they differ from the permuted shape (same elements, row-major); null when not. */
  dims: number[] | null;
}

/** How `weight()` lays an IR weight out: `view` it, reorder `blocks`, `perm`ute, store as `dims`. */
export interface WeightLayout {
  perm?: number[] | null;
  view?: number[] | null;
  blocks?: { axis: number; order: number[] } | null;
  dims?: number[] | null;
}

interface ValueState {
  elemType: number;
  names: Partial<Record<Form, string>>;
}

/**
 * `t` permuted: output axis i is input axis perm[i] (numpy's transpose). `view` reshapes the input
 * first (same elements in row-major order).
 */
export function permute(t: Tensor, perm: number[], view: number[] = t.shape): Tensor {
  const inShape = view;
  const outShape = perm.map((p) => inShape[p]);
  const strides = new Array<number>(inShape.length);
  let s = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= inShape[i];
  }
  const n = numElements(inShape);
  const out = allocate(t.dtype, n) as TypedArray & { [i: number]: number | bigint };
  const src = t.data as TypedArray & { [i: number]: number | bigint };
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let at = 0;
    for (let a = 0; a < outShape.length; a++) at += idx[a] * strides[perm[a]];
    out[o] = src[at];
    for (let a = outShape.length - 1; a >= 0; a--) {
      if (++idx[a] < outShape[a]) break;
      idx[a] = 0;
    }
  }
  return { dtype: t.dtype, shape: outShape, data: out };
}

/** `t` with its indices along `axis` taken in `order` (output index k is input index order[k]). */
export function takeBlocks(t: Tensor, axis: number, order: number[]): Tensor {
  const outer = t.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = t.shape[axis];
  if (order.length !== n) throw new Error(`takeBlocks: ${order.length} indices for an axis of ${n}`);
  const out = allocate(t.dtype, t.data.length) as TypedArray;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const from = (o * n + order[k]) * inner;
      (out as Float32Array).set((t.data as Float32Array).subarray(from, from + inner), (o * n + k) * inner);
    }
  }
  return { dtype: t.dtype, shape: [...t.shape], data: out };
}

function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class OnnxEmitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly placements: WeightPlacement[] = [];
  /** The graph inputs as emitted (`value`: the IR value each holds; unknown axes named). */
  readonly graphInputs: { value: string; name: string; elemType: number; shape: (number | string)[] }[] = [];
  /** What the export warns about (kept in the write result). */
  readonly warnings: string[] = [];
  /** The opset the emitted nodes need so far. */
  opset = MIN_OPSET;
  /** Which ONNX op needed the current opset (for the report). */
  opsetReason = 'onnxruntime supports opset 7 and later';
  private readonly values = new Map<string, ValueState>();
  private readonly tensorNames = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly initializerByKey = new Map<string, string>();
  private readonly shapes: Map<string, SymShape | null>;

  constructor(readonly graph: Graph) {
    this.shapes = inferDeclaredShapes(graph);
  }

  /** A tensor name not used yet, built from `base`. */
  fresh(base: string): string {
    return unique(this.tensorNames, base);
  }

  /** Records that the model needs at least `opset` because of `why`. */
  require(opset: number, why: string): void {
    if (opset > this.opset) {
      this.opset = opset;
      this.opsetReason = why;
    }
  }

  /** Emits one ONNX node; returns its (first) output name. */
  add(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, AttrValue> = {}): string {
    const since = OP_SINCE[opType];
    if (since === undefined) throw new Error(`ONNX op ${opType} has no entry in OP_SINCE`);
    this.require(since, `${opType} (node '${name}')`);
    this.nodes.push({ input: inputs, output: outputs, name: unique(this.nodeNames, name), op_type: opType, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outputs[0];
  }

  /**
   * The nodes `build` emits, taken out of the graph (a Scan body): constants and weights it asks
   * for stay initializers of the main graph, which a body may read.
   */
  capture(build: () => void): NodeProto[] {
    const start = this.nodes.length;
    build();
    return this.nodes.splice(start);
  }

  /** Emits a node with one fresh output named after `name`; returns the output. */
  op(opType: string, inputs: string[], name: string, attrs: Record<string, AttrValue> = {}): string {
    return this.add(opType, inputs, [this.fresh(name)], name, attrs);
  }

  private state(v: string): ValueState {
    const s = this.values.get(v);
    if (!s) throw new Error(`ONNX writer: IR value '${v}' used before it was emitted`);
    return s;
  }

  /**
   * Declares the Keras shape of a value the writer makes up (TimeDistributed's folded
   * [batch · steps, ...] value, which the inner op's codec reads like any other).
   */
  declare(v: string, shape: SymShape): void {
    if (this.shapes.has(v)) throw new Error(`ONNX writer: value '${v}' already has a shape`);
    this.shapes.set(v, shape);
  }

  /** The Keras shape of IR value `v` (batch first, null for an axis unknown until run time). */
  shape(v: string): SymShape {
    const shape = this.shapes.get(v);
    if (!shape) throw new KconvError('INVALID_GRAPH', `the shape of value '${v}' cannot be inferred from the shapes the model declares`, { where: `values/${v}` });
    return shape;
  }

  elemType(v: string): number {
    return this.state(v).elemType;
  }

  /** Whether `v` is already held in `form` (no Transpose needed to get it). */
  has(v: string, form: Form): boolean {
    return this.state(v).names[form] !== undefined;
  }

  /**
   * The form an elementwise op on `v` should run in: the swapped one when `v` has it (the
   * channels-first chain continues without a Transpose), else Keras's.
   */
  formOf(v: string): Form {
    return this.has(v, 'swapped') ? 'swapped' : 'keras';
  }

  /** The ONNX tensor holding IR value `v` in `form`, transposing (once) when needed. */
  value(v: string, form: Form = 'keras'): string {
    const s = this.state(v);
    const have = s.names[form];
    if (have !== undefined) return have;
    if (this.shape(v).length !== 3) {
      throw new Error(`ONNX writer: value '${v}' of rank ${this.shape(v).length} has no swapped form`);
    }
    const other = form === 'keras' ? s.names.swapped! : s.names.keras!;
    const out = form === 'keras' ? this.fresh(v) : this.fresh(`${v}/swapped`);
    this.add('Transpose', [other], [out], `${v}/to_${form === 'keras' ? 'keras_layout' : 'channels_axis_1'}`, { perm: [0, 2, 1] });
    s.names[form] = out;
    return out;
  }

  /** Records that ONNX tensor `name` holds IR value `v` in `form`. */
  define(v: string, name: string, form: Form, elemType: number = ONNX_DTYPE.float32): void {
    if (form === 'swapped' && this.shape(v).length !== 3) throw new Error(`ONNX writer: '${v}' of rank ${this.shape(v).length} cannot be swapped`);
    this.values.set(v, { elemType, names: { [form]: name } });
  }

  /** `v` is `from` (or `from` with steps and channels exchanged, e.g. Permute((2, 1))): the same tensors, no node. */
  alias(v: string, from: string, swap: boolean): void {
    const s = this.state(from);
    if (!swap) {
      this.values.set(v, s);
      return;
    }
    this.values.set(v, { elemType: s.elemType, names: { keras: s.names.swapped, swapped: s.names.keras } });
  }

  /** A fresh tensor name for the output of IR value `v` in `form` (the IR name itself for the Keras form, when free). */
  outputName(v: string, form: Form): string {
    return form === 'keras' ? this.fresh(v) : this.fresh(`${v}/swapped`);
  }

  /**
   * The initializer holding `node`'s weight `role`, permuted by `perm` (after viewing it as
   * `view`) into the layout the ONNX op wants; float16/bfloat16 weights are widened to float32 by
   * a Cast node (exact). Shared layers share one initializer.
   */
  weight(node: Node, role: string, perm: number[] | null = null, view: number[] | null = null): string {
    return this.weightAs(node, role, { perm, view });
  }

  /**
   * `weight()` with every layout step: the IR tensor viewed as `view`, its `blocks` reordered,
   * permuted by `perm`, stored with `dims` (each step optional, in that order).
   */
  weightAs(node: Node, role: string, layout: WeightLayout): string {
    const perm = layout.perm ?? null;
    const view = layout.view ?? null;
    const blocks = layout.blocks ?? null;
    const dims = layout.dims ?? null;
    const key = node.weights[role];
    const t = key === undefined ? undefined : this.graph.weights.get(key);
    if (!t) throw new KconvError('BAD_WEIGHTS', `layer '${layerName(node)}' (${node.op}): weight '${role}' is missing`, { where: `nodes/${node.name}/weights/${role}` });
    const cacheKey = `${key}|${perm?.join(',') ?? ''}|${view?.join(',') ?? ''}|${blocks ? `${blocks.axis}:${blocks.order.join(',')}` : ''}|${dims?.join(',') ?? ''}`;
    const cached = this.initializerByKey.get(cacheKey);
    if (cached !== undefined) return cached;
    if (t.dtype !== 'float32' && t.dtype !== 'float16' && t.dtype !== 'bfloat16') {
      throw notRepresentable(node, `weight '${role}'`, `its dtype is ${t.dtype}; the ONNX export holds float32 weights (and float16/bfloat16 ones widened exactly)`);
    }
    let stored: Tensor = view ? { ...t, shape: view } : t;
    if (blocks) stored = takeBlocks(stored, blocks.axis, blocks.order);
    if (perm) stored = permute(stored, perm);
    if (dims) {
      if (numElements(dims) !== stored.data.length) throw new Error(`ONNX writer: weight '${key}' cannot be stored as [${dims}]`);
      stored = { ...stored, shape: dims };
    }
    const rearranged = perm !== null || blocks !== null || dims !== null;
    const name = this.fresh(rearranged ? `${key}/onnx_layout` : key);
    this.initializers.push({ name, dims: stored.shape, data_type: ONNX_DTYPE[t.dtype], raw_data: bytesOf(stored.data) });
    this.placements.push({ initializer: name, weightKey: key!, perm, viewShape: view, blocks, dims });
    let out = name;
    if (t.dtype !== 'float32') {
      if (t.dtype === 'bfloat16') this.require(13, `Cast from bfloat16 (weight '${key}')`);
      out = this.add('Cast', [name], [this.fresh(`${name}/float32`)], `${layerName(node)}/${role}_to_float32`, { to: ONNX_DTYPE.float32 });
    }
    this.initializerByKey.set(cacheKey, out);
    return out;
  }

  /** A constant int64 tensor (shapes, pads, repeats...) as an initializer. */
  int64s(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map((x) => BigInt(x)));
    const n = this.fresh(name);
    this.initializers.push({ name: n, dims: [values.length], data_type: ONNX_DTYPE.int64, raw_data: bytesOf(data) });
    return n;
  }

  /** A constant float32 tensor as an initializer (a scalar when `dims` is empty). */
  floats(name: string, values: number[], dims: number[] = values.length === 1 ? [] : [values.length]): string {
    const n = this.fresh(name);
    this.initializers.push({ name: n, dims, data_type: ONNX_DTYPE.float32, raw_data: bytesOf(Float32Array.from(values)) });
    return n;
  }
}

function unique(used: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return { name, type: ATTR_TYPE.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR_TYPE.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    // an empty list is written as INTS (no attribute kconv writes is an empty string list)
    if (v.length > 0 && typeof v[0] === 'string') return { name, type: ATTR_TYPE.STRINGS, strings: (v as string[]).map((x) => new TextEncoder().encode(x)) };
    return { name, type: ATTR_TYPE.INTS, ints: v as number[] };
  }
  if ('graph' in v) return { name, type: ATTR_TYPE.GRAPH, g: v.graph };
  if ('floats' in v) return { name, type: ATTR_TYPE.FLOATS, floats: v.floats };
  return { name, type: ATTR_TYPE.FLOAT, f: v.float };
}

/** The Keras layer name of a node (its IR name carries `@N` for the N-th call of a shared layer). */
export function layerName(node: Node): string {
  return node.keras?.layerName ?? node.name;
}

/** NOT_REPRESENTABLE naming the layer, its class and the option ONNX cannot hold. */
export function notRepresentable(node: Node, option: string, why: string): KconvError {
  const cls = node.keras?.className ?? node.op;
  return new KconvError('NOT_REPRESENTABLE', `ONNX cannot express layer '${layerName(node)}' (${cls}): ${option}: ${why}`, { where: `nodes/${node.name}` });
}

/** The ONNX element type of an IR dtype, or undefined when ONNX export does not take it as a model input. */
export function inputElemType(dtype: DType): number | undefined {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'int64' ? ONNX_DTYPE[dtype] : undefined;
}
