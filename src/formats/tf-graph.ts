/**
 * TensorFlow graphs as kconv reads them: a `.meta` file (binary MetaGraphDef) or a
 * `saved_model.pb` (SavedModel: a list of MetaGraphDefs), decoded with our minimal protos into
 * plain nodes: name, op type, data inputs, control inputs, and attributes as JS values.
 *
 * When the writer stripped attributes equal to their defaults (`stripped_default_attrs`), the
 * defaults are restored from the OpDefs in `meta_info_def.stripped_op_list`, so a reader never
 * has to know TF's op registry.
 */
import { KconvError } from '../errors.js';
import { allocate, numElements, type Tensor } from '../tensor.js';
import { tfDtype } from './tf-dtypes.js';
import { decodeProto, int64 } from './tf-protos.js';

export interface TfShape {
  /** null when the rank is unknown. Unknown dimensions are -1. */
  dims: number[] | null;
}

/** A decoded `Const`-style tensor: numeric data as an IR Tensor, or strings. */
export interface TfConst {
  tfDtype: number;
  shape: number[];
  tensor?: Tensor;
  strings?: Uint8Array[];
}

export type TfAttr =
  | { kind: 's'; value: string; bytes: Uint8Array }
  | { kind: 'i'; value: number }
  | { kind: 'f'; value: number }
  | { kind: 'b'; value: boolean }
  | { kind: 'type'; value: number }
  | { kind: 'shape'; value: TfShape }
  | { kind: 'tensor'; value: TfConst }
  | { kind: 'list'; s: string[]; i: number[]; f: number[]; b: boolean[]; type: number[]; shape: TfShape[] }
  | { kind: 'func'; value: string }
  | { kind: 'placeholder'; value: string }
  | { kind: 'none' };

export interface TfNode {
  name: string;
  op: string;
  /** Data inputs as `node` or `node:k`, in order. */
  inputs: string[];
  /** Control dependencies (`^node` in the proto), without the caret. */
  controlInputs: string[];
  device: string;
  attr: Record<string, TfAttr>;
}

export interface TfVariableInfo {
  /** The variable's op output, e.g. `conv1d/kernel:0` or `model/conv1d/kernel/part_0:0`. */
  variableName: string;
  snapshotName: string;
  isResource: boolean;
  trainable: boolean;
  /** For a slice of a partitioned variable: the checkpoint key of the whole and where this part sits. */
  slice?: { fullName: string; fullShape: number[]; offset: number[]; shape: number[] };
}

export interface TfGraph {
  nodes: TfNode[];
  byName: Map<string, TfNode>;
  tensorflowVersion?: string;
  tags: string[];
  /** The saver's checkpoint format, when a SaverDef is present. */
  saver?: { version: 'legacy' | 'v1' | 'v2'; sharded: boolean };
  /** From the `variables` (else `trainable_variables`) collection. */
  variables: TfVariableInfo[];
  strippedDefaultAttrs: boolean;
  /** Attributes restored from the stripped op list, as `node.attr` (for provenance). */
  restoredDefaults: string[];
}

// --- raw decoded shapes (protobufjs toObject with keepCase) ---
interface RawShape {
  dim: { size: string }[];
  unknown_rank: boolean;
}
interface RawTensor {
  dtype: number;
  tensor_shape?: RawShape | null;
  tensor_content: Uint8Array;
  half_val: number[];
  float_val: number[];
  double_val: number[];
  int_val: number[];
  string_val: Uint8Array[];
  int64_val: string[];
  bool_val: boolean[];
}
interface RawAttr {
  value?: string;
  s?: Uint8Array;
  i?: string;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: RawShape;
  tensor?: RawTensor;
  list?: { s: Uint8Array[]; i: string[]; f: number[]; b: boolean[]; type: number[]; shape: RawShape[]; tensor: RawTensor[] };
  func?: { name: string };
  placeholder?: string;
}
interface RawNode {
  name: string;
  op: string;
  input: string[];
  device: string;
  attr: Record<string, RawAttr>;
}
interface RawMetaGraph {
  meta_info_def?: {
    stripped_op_list?: { op: { name: string; attr: { name: string; default_value?: RawAttr | null }[] }[] } | null;
    tags: string[];
    tensorflow_version: string;
    stripped_default_attrs: boolean;
  } | null;
  graph_def?: { node: RawNode[] } | null;
  saver_def?: { version: number; sharded: boolean } | null;
  collection_def: Record<string, { kind?: string; bytes_list?: { value: Uint8Array[] }; node_list?: { value: string[] } }>;
}
interface RawVariableDef {
  variable_name: string;
  snapshot_name: string;
  is_resource: boolean;
  trainable: boolean;
  save_slice_info_def?: { full_name: string; full_shape: string[]; var_offset: string[]; var_shape: string[] } | null;
}

const utf8 = new TextDecoder();

function shapeOf(raw: RawShape | null | undefined): TfShape {
  if (!raw) return { dims: [] };
  if (raw.unknown_rank) return { dims: null };
  return { dims: raw.dim.map((d) => Number(d.size)) };
}

/** Decodes a TensorProto (Const values): tensor_content, or typed fields with the last value repeated. */
export function decodeTensorProto(raw: RawTensor, where: string): TfConst {
  const shape = (shapeOf(raw.tensor_shape).dims ?? []).map((d) => Math.max(d, 0));
  const info = tfDtype(raw.dtype);
  const n = numElements(shape);
  if (info.name === 'string') {
    return { tfDtype: raw.dtype, shape, strings: raw.string_val };
  }
  if (!info.ir) return { tfDtype: raw.dtype, shape };
  const data = tensorProtoValues(raw, info.ir, n, 'repeat-last', (m) => new KconvError('CORRUPT_FILE', `a constant of shape [${shape.join(', ')}]: ${m}`, { where }));
  return { tfDtype: raw.dtype, shape, tensor: { dtype: info.ir, shape, data } };
}

/** The value fields of a TensorProto, as the checkpoint (V1) and graph readers both store them. */
export interface TensorProtoValues {
  tensor_content: Uint8Array;
  half_val: number[];
  float_val: number[];
  double_val: number[];
  int_val: number[];
  int64_val: string[];
  bool_val: boolean[];
}

/**
 * A TensorProto's values as an IR typed array of `n` elements: `tensor_content` bytes, or the
 * typed repeated field for the dtype. `repeat-last`: fewer values than elements repeat the last
 * one (how TF stores Const values); `exact`: the count must match (checkpoint slices).
 */
export function tensorProtoValues(
  p: TensorProtoValues,
  dtype: Tensor['dtype'],
  n: number,
  rule: 'exact' | 'repeat-last',
  fail: (message: string) => KconvError,
): Tensor['data'] {
  const out = allocate(dtype, n);
  if (p.tensor_content.length > 0) {
    if (p.tensor_content.length !== out.byteLength) throw fail(`tensor_content has ${p.tensor_content.length} bytes, ${out.byteLength} expected`);
    new Uint8Array(out.buffer).set(p.tensor_content);
    return out;
  }
  let values: ArrayLike<number | bigint | boolean>;
  switch (dtype) {
    case 'float32':
      values = p.float_val;
      break;
    case 'float64':
      values = p.double_val;
      break;
    case 'int64':
      values = p.int64_val.map((v) => BigInt(v));
      break;
    case 'bool':
      values = p.bool_val;
      break;
    case 'float16':
    case 'bfloat16':
      values = p.half_val;
      break;
    default:
      values = p.int_val;
  }
  if (rule === 'exact' ? values.length !== n : values.length > n) throw fail(`${values.length} values stored for ${n} elements`);
  for (let k = 0; k < n && values.length > 0; k++) {
    const v = values[Math.min(k, values.length - 1)];
    (out as unknown as (number | bigint)[])[k] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  return out;
}

function decodeAttr(raw: RawAttr, where: string): TfAttr {
  switch (raw.value) {
    case 's':
      return { kind: 's', value: utf8.decode(raw.s!), bytes: raw.s! };
    case 'i':
      return { kind: 'i', value: int64(raw.i, 'attr', where) };
    case 'f':
      return { kind: 'f', value: raw.f! };
    case 'b':
      return { kind: 'b', value: raw.b! };
    case 'type':
      return { kind: 'type', value: raw.type! };
    case 'shape':
      return { kind: 'shape', value: shapeOf(raw.shape) };
    case 'tensor':
      return { kind: 'tensor', value: decodeTensorProto(raw.tensor!, where) };
    case 'list': {
      const l = raw.list!;
      return {
        kind: 'list',
        s: l.s.map((b) => utf8.decode(b)),
        i: l.i.map((v) => int64(v, 'attr', where)),
        f: l.f,
        b: l.b,
        type: l.type,
        shape: l.shape.map(shapeOf),
      };
    }
    case 'func':
      return { kind: 'func', value: raw.func!.name };
    case 'placeholder':
      return { kind: 'placeholder', value: raw.placeholder! };
    default:
      return { kind: 'none' };
  }
}

function decodeGraph(meta: RawMetaGraph, file?: string): TfGraph {
  const info = meta.meta_info_def;
  const defaults = new Map<string, { name: string; value: RawAttr }[]>();
  for (const op of info?.stripped_op_list?.op ?? []) {
    defaults.set(
      op.name,
      op.attr.filter((a) => a.default_value && a.default_value.value).map((a) => ({ name: a.name, value: a.default_value! })),
    );
  }
  const restoredDefaults: string[] = [];
  const nodes: TfNode[] = (meta.graph_def?.node ?? []).map((raw) => {
    const where = `graph_def/node/${raw.name}`;
    const attr: Record<string, TfAttr> = {};
    for (const [k, v] of Object.entries(raw.attr)) attr[k] = decodeAttr(v, `${where}/attr/${k}`);
    for (const d of defaults.get(raw.op) ?? []) {
      if (!(d.name in attr)) {
        attr[d.name] = decodeAttr(d.value, `stripped_op_list/${raw.op}/${d.name}`);
        restoredDefaults.push(`${raw.name}.${d.name}`);
      }
    }
    return {
      name: raw.name,
      op: raw.op,
      inputs: raw.input.filter((s) => !s.startsWith('^')),
      controlInputs: raw.input.filter((s) => s.startsWith('^')).map((s) => s.slice(1)),
      device: raw.device,
      attr,
    };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  if (byName.size !== nodes.length) throw new KconvError('CORRUPT_FILE', 'two graph nodes share a name', { file, where: 'graph_def' });

  const variables: TfVariableInfo[] = [];
  const collection = meta.collection_def['variables'] ?? meta.collection_def['trainable_variables'];
  for (const [k, bytes] of (collection?.bytes_list?.value ?? []).entries()) {
    const v = decodeProto<RawVariableDef>('tensorflow.graph.VariableDef', bytes, `collection_def/variables/${k}`, file);
    const s = v.save_slice_info_def;
    const ints = (xs: string[]) => xs.map((x) => int64(x, 'slice info'));
    variables.push({
      variableName: v.variable_name,
      snapshotName: v.snapshot_name,
      isResource: v.is_resource,
      trainable: v.trainable,
      ...(s && s.full_name ? { slice: { fullName: s.full_name, fullShape: ints(s.full_shape), offset: ints(s.var_offset), shape: ints(s.var_shape) } } : {}),
    });
  }
  const saver = meta.saver_def ? { version: (['legacy', 'v1', 'v2'] as const)[meta.saver_def.version] ?? 'v2', sharded: meta.saver_def.sharded } : undefined;
  return {
    nodes,
    byName,
    tensorflowVersion: info?.tensorflow_version || undefined,
    tags: info?.tags ?? [],
    saver,
    variables,
    strippedDefaultAttrs: info?.stripped_default_attrs ?? false,
    restoredDefaults,
  };
}

/** Reads a `.meta` file (a binary MetaGraphDef). */
export function readMetaGraph(bytes: Uint8Array, options: { file?: string } = {}): TfGraph {
  const meta = decodeProto<RawMetaGraph>('tensorflow.graph.MetaGraphDef', bytes, 'MetaGraphDef', options.file);
  if (!meta.graph_def || meta.graph_def.node.length === 0) {
    throw new KconvError('CORRUPT_FILE', 'expected a MetaGraphDef with a graph_def, found no graph nodes', { file: options.file, where: 'graph_def' });
  }
  return decodeGraph(meta, options.file);
}

/** Reads a `saved_model.pb`: the meta graph tagged `tag` (default 'serve'), else the first. */
export function readSavedModelGraph(bytes: Uint8Array, options: { file?: string; tag?: string } = {}): TfGraph {
  const sm = decodeProto<{ meta_graphs: RawMetaGraph[] }>('tensorflow.graph.SavedModel', bytes, 'SavedModel', options.file);
  if (sm.meta_graphs.length === 0) throw new KconvError('CORRUPT_FILE', 'expected a SavedModel with at least one meta graph, found none', { file: options.file, where: 'meta_graphs' });
  const tag = options.tag ?? 'serve';
  const chosen = sm.meta_graphs.find((m) => m.meta_info_def?.tags.includes(tag)) ?? sm.meta_graphs[0];
  return decodeGraph(chosen, options.file);
}

/** Splits `node:k` into the node name and output index. */
export function parseTensorName(input: string): { node: string; output: number } {
  // [\s\S], not '.': a damaged name may hold a newline, and the pattern must still match anything.
  const m = /^([\s\S]*?)(?::(\d+))?$/.exec(input.startsWith('^') ? input.slice(1) : input)!;
  return { node: m[1], output: m[2] === undefined ? 0 : Number(m[2]) };
}
