/**
 * `.kir`: the IR as one flatbuffers file (schemas/kconv-ir.fbs). `writeKir(graph)` → bytes,
 * `readKir(bytes)` → Graph, and IR → .kir → IR is the identity (weights bit for bit).
 *
 * Loading is cheap: weights are typed-array views into the given bytes whenever the bytes sit at
 * an offset the element type allows (the writer 16-byte aligns every weight; a caller's buffer
 * that is itself misaligned, e.g. a slice of Node's Buffer pool, costs one copy per weight).
 * Multi-byte values are little-endian in the file; like the rest of kconv this assumes a
 * little-endian host (every platform JS engines run on).
 */
import * as flatbuffers from 'flatbuffers';
import { KconvError } from '../errors.js';
import type { Graph, KerasBag, Node, Provenance } from './graph.js';
import { DType as FbDType } from './kir-generated/kconv/kir/dtype.js';
import { Model } from './kir-generated/kconv/kir/model.js';
import { Node as FbNode } from './kir-generated/kconv/kir/node.js';
import { Weight as FbWeight } from './kir-generated/kconv/kir/weight.js';
import { DTYPE_SIZE, numElements, typedView, type DType, type Tensor, type TypedArray } from '../tensor.js';
import { parseJsonSafely, TensorBudget } from '../limits.js';

export const KIR_IDENTIFIER = 'KIR1';
export const KIR_FORMAT_VERSION = 1;
const ALIGN = 16;

const DTYPE_TO_FB: Record<DType, FbDType> = {
  float16: FbDType.float16,
  bfloat16: FbDType.bfloat16,
  float32: FbDType.float32,
  float64: FbDType.float64,
  int8: FbDType.int8,
  uint8: FbDType.uint8,
  int16: FbDType.int16,
  int32: FbDType.int32,
  int64: FbDType.int64,
  bool: FbDType.bool,
};
const FB_TO_DTYPE = new Map<number, DType>(Object.entries(DTYPE_TO_FB).map(([k, v]) => [v, k as DType]));

// ---------------------------------------------------------------- JSON that loses nothing

/** JSON with NaN, ±Infinity and -0 kept (plain JSON turns them into null / 0). */
export function toKirJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return { $kir: 'NaN' };
      if (v === Infinity) return { $kir: 'Infinity' };
      if (v === -Infinity) return { $kir: '-Infinity' };
      if (Object.is(v, -0)) return { $kir: '-0' };
    }
    return v;
  });
}

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

export function fromKirJson(text: string): unknown {
  return parseJsonSafely(text, {
    where: 'kir',
    code: 'CORRUPT_FILE',
    reviver: (_key, v) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        const tag = (v as { $kir?: unknown }).$kir;
        if (keys.length === 1 && keys[0] === '$kir' && typeof tag === 'string' && Object.prototype.hasOwnProperty.call(SPECIAL, tag)) return SPECIAL[tag];
      }
      return v;
    },
  });
}

// ---------------------------------------------------------------- writing

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

export function writeKir(graph: Graph): Uint8Array {
  // Lay out the weight blob: every weight at a 16-byte boundary.
  const entries = [...graph.weights.entries()];
  const offsets: number[] = [];
  let blobSize = 0;
  for (const [key, t] of entries) {
    const expected = numElements(t.shape) * DTYPE_SIZE[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new KconvError('BAD_WEIGHTS', `weight '${key}': shape [${t.shape.join(', ')}] of ${t.dtype} needs ${expected} bytes, its data has ${t.data.byteLength}`);
    }
    blobSize = alignUp(blobSize);
    offsets.push(blobSize);
    blobSize += t.data.byteLength;
  }
  blobSize = alignUp(blobSize);

  const b = new flatbuffers.Builder(blobSize + 1024 + 256 * graph.nodes.length);
  // The blob first, so it ends up last in the file (where truncation cuts, caught by file_size).
  b.startVector(1, blobSize, ALIGN);
  const internal = b as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  internal.space -= blobSize;
  const blob = internal.bb.bytes().subarray(internal.space, internal.space + blobSize);
  blob.fill(0);
  entries.forEach(([, t], i) => blob.set(bytesOf(t), offsets[i]));
  const dataOffset = b.endVector();

  const strings = (list: string[]) => list.map((s) => b.createString(s));
  const weightOffsets = entries.map(([key, t], i) => {
    const keyOffset = b.createString(key);
    const shape = FbWeight.createShapeVector(b, t.shape.map((d) => BigInt(d)));
    return FbWeight.createWeight(b, keyOffset, DTYPE_TO_FB[t.dtype], shape, BigInt(offsets[i]), BigInt(t.data.byteLength));
  });
  const nodeOffsets = graph.nodes.map((node) => {
    const op = b.createString(node.op);
    const name = b.createString(node.name);
    const inputs = FbNode.createInputsVector(b, strings(node.inputs));
    const outputs = FbNode.createOutputsVector(b, strings(node.outputs));
    const attrs = b.createString(toKirJson(node.attrs));
    const roles = Object.keys(node.weights);
    const weightRoles = FbNode.createWeightRolesVector(b, strings(roles));
    const weightKeys = FbNode.createWeightKeysVector(b, strings(roles.map((r) => node.weights[r])));
    const keras = node.keras === undefined ? 0 : b.createString(toKirJson(node.keras));
    FbNode.startNode(b);
    FbNode.addOp(b, op);
    FbNode.addName(b, name);
    FbNode.addInputs(b, inputs);
    FbNode.addOutputs(b, outputs);
    FbNode.addAttrsJson(b, attrs);
    FbNode.addWeightRoles(b, weightRoles);
    FbNode.addWeightKeys(b, weightKeys);
    if (keras) FbNode.addKerasJson(b, keras);
    return FbNode.endNode(b);
  });
  const name = b.createString(graph.name);
  const inputs = Model.createInputsVector(b, strings(graph.inputs));
  const outputs = Model.createOutputsVector(b, strings(graph.outputs));
  const nodes = Model.createNodesVector(b, nodeOffsets);
  const weights = Model.createWeightsVector(b, weightOffsets);
  const provenance = b.createString(toKirJson(graph.provenance));
  // file_size is patched below once the size is known; a non-default placeholder keeps the field present.
  const root = Model.createModel(b, KIR_FORMAT_VERSION, 1n, name, inputs, outputs, nodes, weights, provenance, dataOffset);
  Model.finishModelBuffer(b, root);
  const out = b.asUint8Array().slice(); // own buffer, byteOffset 0: alignment inside the file = alignment in memory
  const bb = new flatbuffers.ByteBuffer(out);
  const model = Model.getRootAsModel(bb);
  const fieldOffset = bb.__offset(model.bb_pos, 6); // vtable slot of file_size (second field)
  bb.writeUint64(model.bb_pos + fieldOffset, BigInt(out.length));
  return out;
}

// ---------------------------------------------------------------- reading

function corrupt(message: string, where?: string, cause?: unknown): KconvError {
  return new KconvError('CORRUPT_FILE', `.kir: ${message}`, { where, cause });
}

function weightView(dtype: DType, bytes: Uint8Array, byteOffset: number, count: number): TypedArray {
  const size = DTYPE_SIZE[dtype];
  let buffer = bytes.buffer as ArrayBuffer;
  let offset = bytes.byteOffset + byteOffset;
  if (offset % size !== 0) {
    // The caller's bytes are misaligned in memory: copy this weight into its own buffer.
    const copy = bytes.slice(byteOffset, byteOffset + count * size);
    buffer = copy.buffer;
    offset = 0;
  }
  return typedView(dtype, buffer, offset, count);
}

/**
 * A vector's declared length, checked against the bytes that can hold it: each element takes at
 * least `elementBytes`, so a damaged length (2^30) is refused at once instead of being looped over.
 */
function vectorLength(length: number, elementBytes: number, capacity: number, where: string): number {
  if (length * elementBytes > capacity) throw corrupt(`a vector declares ${length} elements, more than the ${capacity}-byte file can hold`, where);
  return length;
}

function stringList(length: number, get: (i: number) => string | null, where: string, capacity: number): string[] {
  vectorLength(length, 4, capacity, where);
  const out: string[] = [];
  for (let i = 0; i < length; i++) {
    const s = get(i);
    if (s === null) throw corrupt(`missing string at index ${i}`, where);
    out.push(s);
  }
  return out;
}

function parseJson(text: string | null, where: string): unknown {
  if (text === null) throw corrupt('missing JSON field', where);
  try {
    return fromKirJson(text);
  } catch (e) {
    throw corrupt(`invalid JSON (${(e as Error).message})`, where, e);
  }
}

/** Is `bytes` a .kir file (by its flatbuffers file identifier)? */
export function isKir(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]) === KIR_IDENTIFIER;
}

/**
 * Reads a .kir file. `budget` (the load's limits and running total) bounds the weights: they are
 * mostly views into `bytes`, but they are the model's tensors all the same, and a misaligned
 * buffer copies each one.
 */
export function readKir(bytes: Uint8Array, options: { budget?: TensorBudget } = {}): Graph {
  if (bytes.length < 8) throw corrupt(`the file has ${bytes.length} bytes, a .kir file has at least 8`);
  if (!isKir(bytes)) {
    const found = Array.from(bytes.subarray(4, 8), (c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
    throw new KconvError('UNSUPPORTED_FORMAT', `not a .kir file: expected the identifier '${KIR_IDENTIFIER}' at byte 4, found '${found}'`, { where: 'header' });
  }
  const bb = new flatbuffers.ByteBuffer(bytes);
  let model: Model;
  let version: number;
  let fileSize: bigint;
  try {
    const rootOffset = bb.readUint32(0);
    if (rootOffset + 4 > bytes.length) throw corrupt(`root table offset ${rootOffset} is past the end (${bytes.length} bytes): the file is truncated`, 'header');
    model = Model.getRootAsModel(bb);
    version = model.formatVersion();
    fileSize = model.fileSize();
  } catch (e) {
    if (e instanceof KconvError) throw e;
    throw corrupt(`cannot read the header (${(e as Error).message}): the file is truncated or damaged`, 'header', e);
  }
  if (version !== KIR_FORMAT_VERSION) {
    throw new KconvError('UNSUPPORTED_FORMAT', `.kir format version ${version} is not supported: this kconv reads version ${KIR_FORMAT_VERSION}`, { where: 'format_version' });
  }
  if (BigInt(bytes.length) !== fileSize) {
    throw corrupt(`the file should have ${fileSize} bytes, found ${bytes.length}${BigInt(bytes.length) < fileSize ? ': it is truncated' : ''}`, 'file_size');
  }
  try {
    return decode(model, bytes.length, options.budget ?? new TensorBudget());
  } catch (e) {
    if (e instanceof KconvError) throw e;
    throw corrupt(`damaged structure (${(e as Error).message})`, undefined, e);
  }
}

function decode(model: Model, capacity: number, budget: TensorBudget): Graph {
  const data = model.dataArray() ?? new Uint8Array(0);
  const weights = new Map<string, Tensor>();
  for (let i = 0, n = vectorLength(model.weightsLength(), 4, capacity, 'weights'); i < n; i++) {
    const w = model.weights(i);
    const where = `weights[${i}]`;
    if (!w) throw corrupt('missing weight entry', where);
    const key = w.key();
    const dtype = FB_TO_DTYPE.get(w.dtype());
    if (key === null) throw corrupt('weight without a key', where);
    if (!dtype) throw corrupt(`weight '${key}' has unknown dtype code ${w.dtype()}`, where);
    const shape: number[] = [];
    for (let j = 0, n = vectorLength(w.shapeLength(), 8, capacity, where); j < n; j++) {
      const d = Number(w.shape(j));
      if (!Number.isSafeInteger(d) || d < 0) throw corrupt(`weight '${key}' has dimension ${d}`, where);
      shape.push(d);
    }
    const count = numElements(shape);
    const offset = Number(w.offset());
    const length = Number(w.byteLength());
    if (length !== count * DTYPE_SIZE[dtype]) throw corrupt(`weight '${key}': shape [${shape.join(', ')}] of ${dtype} needs ${count * DTYPE_SIZE[dtype]} bytes, the entry says ${length}`, where);
    if (offset < 0 || offset + length > data.length) throw corrupt(`weight '${key}': bytes [${offset}, ${offset + length}) are outside the ${data.length}-byte data blob`, where);
    budget.check(length, data.length, `${where} '${key}'`);
    weights.set(key, { dtype, shape, data: weightView(dtype, data, offset, count) });
  }
  const nodes: Node[] = [];
  for (let i = 0, n = vectorLength(model.nodesLength(), 4, capacity, 'nodes'); i < n; i++) {
    const n = model.nodes(i);
    const where = `nodes[${i}]`;
    if (!n) throw corrupt('missing node entry', where);
    const op = n.op();
    const name = n.name();
    if (op === null || name === null) throw corrupt('node without an op or a name', where);
    const roles = stringList(n.weightRolesLength(), (j) => n.weightRoles(j), where, capacity);
    const keys = stringList(n.weightKeysLength(), (j) => n.weightKeys(j), where, capacity);
    if (roles.length !== keys.length) throw corrupt(`node '${name}' has ${roles.length} weight roles but ${keys.length} keys`, where);
    const node = {
      op,
      name,
      inputs: stringList(n.inputsLength(), (j) => n.inputs(j), where, capacity),
      outputs: stringList(n.outputsLength(), (j) => n.outputs(j), where, capacity),
      attrs: parseJson(n.attrsJson(), `${where}/attrs_json`),
      weights: Object.fromEntries(roles.map((r, j) => [r, keys[j]])),
    } as Node;
    const keras = n.kerasJson();
    if (keras !== null) node.keras = parseJson(keras, `${where}/keras_json`) as KerasBag;
    nodes.push(node);
  }
  const name = model.name();
  if (name === null) throw corrupt('the model has no name field', 'name');
  return {
    name,
    inputs: stringList(model.inputsLength(), (j) => model.inputs(j), 'inputs', capacity),
    outputs: stringList(model.outputsLength(), (j) => model.outputs(j), 'outputs', capacity),
    nodes,
    weights,
    provenance: parseJson(model.provenanceJson(), 'provenance_json') as Provenance,
  };
}
