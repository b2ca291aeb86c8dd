/**
 * One call of a layer in a functional config (`inbound_nodes[i]`), with its call arguments, in
 * each generation's form:
 *
 * - Keras 2 / tf.keras: a list of inbound tensors `[[layer, node, tensor, kwargs], ...]`. The layer
 *   is called with the tensors as its first argument (one tensor alone, several as a list) and the
 *   kwargs of the entries. A kwarg that is a `[layer, node, tensor]` triple is a tensor
 *   (MultiHeadAttention `value`, TFOpLambda `y`).
 * - tf.keras 2.4+ for a call on ONE tensor whose kwargs matter (TFOpLambda, SlicingOpLambda,
 *   MultiHeadAttention): the entry unwrapped, `[layer, node, tensor, kwargs]`. When the first
 *   argument was a constant, the entry is `["_CONSTANT_VALUE", -1, <value>, kwargs]`.
 * - Keras 3: `{"args": [...], "kwargs": {...}}` with tensors as `__keras_tensor__` objects
 *   (`config.keras_history` = the triple), possibly nested in lists.
 *
 * Nothing here is executed: values are data (numbers, strings, lists, dicts, tensor references).
 */
import { KconvError } from '../errors.js';

export type TensorRef = [layer: string, node: number, tensor: number];

/** A call argument: a tensor reference, or constant data. */
export type CallValue = { tensor: TensorRef } | number | string | boolean | null | CallValue[] | { [key: string]: CallValue };

export interface NodeCall {
  args: CallValue[];
  kwargs: Record<string, CallValue>;
}

/** Bound on node and tensor indexes (real models use a handful). */
const MAX_REF_INDEX = 65536;
/** Bound on how deeply call arguments nest (real calls: a list of slice dicts at most). */
const MAX_DEPTH = 16;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < MAX_REF_INDEX;

/** A `[layer, node, tensor]` triple (Keras 2's way of writing a tensor inside kwargs). */
export function isTensorTriple(v: unknown): v is TensorRef {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && isIndex(v[1]) && isIndex(v[2]);
}

export function isTensorValue(v: CallValue): v is { tensor: TensorRef } {
  return isObject(v) && Array.isArray((v as { tensor?: unknown }).tensor);
}

function badRef(r: unknown, where: string): never {
  throw new KconvError('BAD_CONFIG', `expected a [layer, node_index, tensor_index] triple, found ${JSON.stringify(r)?.slice(0, 100)}`, { where });
}

/** Keras 2 kwargs: every `[layer, node, tensor]` triple inside is a tensor. */
function keras2Value(v: unknown, where: string, depth = 0): CallValue {
  if (depth > MAX_DEPTH) throw new KconvError('BAD_CONFIG', `call arguments nest deeper than ${MAX_DEPTH} levels`, { where });
  if (isTensorTriple(v)) return { tensor: [v[0], v[1], v[2]] };
  if (Array.isArray(v)) return v.map((x) => keras2Value(x, where, depth + 1));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keras2Value(x, `${where}.${k}`, depth + 1)]));
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  throw new KconvError('BAD_CONFIG', `expected a call argument (number, string, list, dict or tensor), found ${JSON.stringify(v)?.slice(0, 100)}`, { where });
}

/** Keras 3 args/kwargs: tensors are `{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}`. */
function keras3Value(v: unknown, where: string, depth = 0): CallValue {
  if (depth > MAX_DEPTH) throw new KconvError('BAD_CONFIG', `call arguments nest deeper than ${MAX_DEPTH} levels`, { where });
  if (isObject(v) && v.class_name === '__keras_tensor__') {
    const h = isObject(v.config) ? v.config.keras_history : undefined;
    if (!isTensorTriple(h)) badRef(h, where);
    return { tensor: [h[0], h[1], h[2]] };
  }
  if (Array.isArray(v)) return v.map((x) => keras3Value(x, where, depth + 1));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keras3Value(x, `${where}.${k}`, depth + 1)]));
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  throw new KconvError('BAD_CONFIG', `expected a call argument, found ${JSON.stringify(v)?.slice(0, 100)}`, { where });
}

function kwargsOf(v: unknown, where: string): Record<string, CallValue> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new KconvError('BAD_CONFIG', `expected call kwargs to be a dict, found ${JSON.stringify(v)?.slice(0, 100)}`, { where });
  return keras2Value(v, where) as Record<string, CallValue>;
}

/** Parses one `inbound_nodes` entry of any generation. */
export function parseNodeCall(raw: unknown, where: string): NodeCall {
  if (isObject(raw)) {
    const args = raw.args === undefined ? [] : raw.args;
    if (!Array.isArray(args)) throw new KconvError('BAD_CONFIG', `expected args to be a list, found ${JSON.stringify(args)?.slice(0, 100)}`, { where: `${where}.args` });
    const kwargs = raw.kwargs === undefined || raw.kwargs === null ? {} : raw.kwargs;
    if (!isObject(kwargs)) throw new KconvError('BAD_CONFIG', `expected kwargs to be a dict, found ${JSON.stringify(kwargs)?.slice(0, 100)}`, { where: `${where}.kwargs` });
    return { args: args.map((a, i) => keras3Value(a, `${where}.args[${i}]`)), kwargs: keras3Value(kwargs, `${where}.kwargs`) as Record<string, CallValue> };
  }
  if (!Array.isArray(raw)) throw new KconvError('BAD_CONFIG', `expected an inbound node (list or {args, kwargs}), found ${JSON.stringify(raw)?.slice(0, 100)}`, { where });
  // The unwrapped single-tensor form: [layer, node, tensor(, kwargs)], or a constant first argument.
  if (typeof raw[0] === 'string') {
    if (raw[0] === '_CONSTANT_VALUE' && raw[1] === -1) {
      return { args: [keras2Value(raw[2], `${where}[2]`)], kwargs: kwargsOf(raw[3], `${where}[3]`) };
    }
    if (raw.length !== 3 && raw.length !== 4) badRef(raw, where);
    const ref = raw.slice(0, 3);
    if (!isTensorTriple(ref)) badRef(raw, where);
    return { args: [{ tensor: [ref[0], ref[1], ref[2]] }], kwargs: kwargsOf(raw[3], `${where}[3]`) };
  }
  // The list form: every entry a tensor (with the call's kwargs repeated on each).
  const tensors: CallValue[] = [];
  let kwargs: Record<string, CallValue> = {};
  raw.forEach((entry, i) => {
    const at = `${where}[${i}]`;
    if (!Array.isArray(entry) || (entry.length !== 3 && entry.length !== 4)) badRef(entry, at);
    const ref = entry.slice(0, 3);
    if (!isTensorTriple(ref)) badRef(entry, at);
    tensors.push({ tensor: [ref[0], ref[1], ref[2]] });
    if (entry.length === 4) kwargs = kwargsOf(entry[3], `${at}[3]`);
  });
  if (tensors.length === 0) return { args: [], kwargs };
  return { args: [tensors.length === 1 ? tensors[0] : tensors], kwargs };
}

/** Every tensor a call reads: positional arguments first, then kwargs, depth first in order. */
export function callTensors(call: NodeCall): TensorRef[] {
  const out: TensorRef[] = [];
  const walk = (v: CallValue) => {
    if (isTensorValue(v)) out.push(v.tensor);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) Object.values(v).forEach((x) => walk(x as CallValue));
  };
  call.args.forEach(walk);
  Object.values(call.kwargs).forEach(walk);
  return out;
}
