/**
 * IR graph → ONNX model bytes.
 *
 *   const { bytes, opset } = writeOnnx(graph);
 *
 * Each node goes through its codec (src/onnx/ops); a layer ONNX cannot express is refused with
 * NOT_REPRESENTABLE naming the layer and the option, before anything is returned. The model
 * records the lowest opset its nodes need (at least 7, at most 17), kconv as producer, the Keras
 * layer names as node names, weights as initializers and unknown axes as symbolic dimensions.
 * The bytes are decoded again with the same schema and every weight compared bit for bit
 * (checkOnnxWeights) before they are returned.
 */
import { KconvError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { neededNodes } from '../ir/shapes.js';
import { type Tensor, tensorsIdentical, typedView, type DType } from '../tensor.js';
import { validateGraph } from '../ir/validate.js';
import { VERSION } from '../version.js';
import type { OnnxCodec } from './codec.js';
import { type Dim, MAX_OPSET, notRepresentable, OnnxEmitter, permute, takeBlocks, type WeightPlacement } from './emitter.js';
import { ONNX_CODECS } from './ops/index.js';
import { decodeModel, encodeModel, ONNX_DTYPE, type ModelProto, type ValueInfoProto } from './proto.js';

export interface OnnxWriteResult {
  bytes: Uint8Array;
  /** The opset recorded in the file: the lowest that holds every node. */
  opset: number;
  /** Which node needed that opset. */
  opsetReason: string;
  /** Which initializer holds which IR weight, in which layout (what checkOnnxWeights reads back). */
  placements: WeightPlacement[];
  warnings: string[];
}

/**
 * The IR version written with each opset: the one released with it, but at least 4, the first
 * that lets weights be initializers without also being graph inputs a caller could override.
 */
function irVersionFor(opset: number): number {
  if (opset <= 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  return 8;
}

/** A tensor's type; dimensions known, named (dim_param) or unknown. */
function valueInfo(name: string, elemType: number, shape: (Dim | string)[]): ValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {}));
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

/** Translates `graph` into ONNX model bytes (see the module comment). */
export function writeOnnx(graph: Graph): OnnxWriteResult {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new KconvError('UNSUPPORTED_FEATURE', 'ONNX export stores raw little-endian tensors and needs a little-endian host');
  }
  validateGraph(graph);
  const e = new OnnxEmitter(graph);
  const nodes = neededNodes(graph);
  for (const node of nodes) {
    const codec = ONNX_CODECS[node.op];
    if ('refuse' in codec) throw notRepresentable(node, `class ${node.keras?.className ?? node.op}`, codec.refuse);
    (codec as OnnxCodec<typeof node.op>).emit(node as never, e);
  }
  const placed = new Set(e.placements.map((p) => p.weightKey));
  for (const node of nodes) {
    const unused = (ONNX_CODECS[node.op] as OnnxCodec<typeof node.op>).unusedWeights ?? {};
    for (const [role, key] of Object.entries(node.weights)) {
      if (role in unused) continue;
      if (graph.weights.has(key) && !placed.has(key)) throw notRepresentable(node, `weight '${role}'`, 'the ONNX codec did not write it (nothing may be dropped silently)');
    }
  }
  const initializers = new Set(e.initializers.map((t) => t.name));
  const inputs = new Set(e.graphInputs.map((i) => i.name));
  const outputs: ValueInfoProto[] = [];
  for (const v of graph.outputs) {
    let t = e.value(v, 'keras');
    // A graph output must be a tensor a node produces, once.
    if (initializers.has(t) || inputs.has(t) || outputs.some((o) => o.name === t)) t = e.add('Identity', [t], [e.fresh(`${v}/output`)], `${v}/output`);
    // the batch axis keeps the inputs' name; another axis known only at run time stays unnamed
    outputs.push(valueInfo(t, e.elemType(v), e.shape(v).map((d, i) => (d === null && i === 0 ? 'batch' : d))));
  }
  if (e.opset > MAX_OPSET) throw new Error(`ONNX writer: opset ${e.opset} beyond the highest kconv writes (${MAX_OPSET})`);
  const p = graph.provenance;
  const metadata = [
    ['kconv.source_format', p.format],
    ['keras_version', p.kerasVersion],
    ['backend', p.backend ?? p.assumedBackend],
    ['kconv.opset_reason', e.opsetReason],
  ].filter((kv): kv is [string, string] => typeof kv[1] === 'string' && kv[1] !== '');
  const model: ModelProto = {
    ir_version: irVersionFor(e.opset),
    opset_import: [{ domain: '', version: e.opset }],
    producer_name: 'kconv',
    producer_version: VERSION,
    doc_string: `Converted by kconv ${VERSION} from ${p.format}${p.kerasVersion ? ` (Keras ${p.kerasVersion})` : ''}.`,
    graph: {
      name: graph.name || 'model',
      node: e.nodes,
      initializer: e.initializers,
      // in the model's input order (Input nodes may come in another order)
      input: graph.inputs.map((v) => e.graphInputs.find((i) => i.value === v)!).map((i) => valueInfo(i.name, i.elemType, i.shape)),
      output: outputs,
    },
    metadata_props: metadata.map(([key, value]) => ({ key, value })),
  };
  const bytes = encodeModel(model);
  checkOnnxWeights(bytes, graph, e.placements, e.opset);
  const warnings: string[] = [...e.warnings];
  if (p.trainingConfig !== undefined || p.extra?.optimizer !== undefined) {
    warnings.push('training configuration and optimizer state dropped: an ONNX model holds the inference graph only');
  }
  return { bytes, opset: e.opset, opsetReason: e.opsetReason, placements: e.placements, warnings };
}

/**
 * The read-back check of an ONNX file written from `graph` (e.g. the bytes read back from disk):
 * the export is deterministic, so exporting again tells which initializer holds which weight in
 * which layout; checkOnnxWeights then compares every weight bit for bit.
 */
export function verifyOnnx(bytes: Uint8Array, graph: Graph, file?: string): void {
  const { placements, opset } = writeOnnx(graph);
  checkOnnxWeights(bytes, graph, placements, opset, file);
}

const DTYPE_OF: Record<number, DType> = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as DType]));

/** Inverse of a permutation. */
function inverse(perm: number[]): number[] {
  const q = new Array<number>(perm.length);
  perm.forEach((p, i) => (q[p] = i));
  return q;
}

/**
 * The read-back check: decodes `bytes` with kconv's own ONNX schema, and checks the opset and that
 * every initializer holding an IR weight gives that weight back bit for bit (dtype, shape, bytes)
 * once its ONNX layout is undone. CHECKSUM_MISMATCH names the first weight that does not.
 */
export function checkOnnxWeights(bytes: Uint8Array, graph: Graph, placements: WeightPlacement[], opset: number, file?: string): void {
  const model = decodeModel(bytes, file);
  const version = Number(model.opset_import.find((o) => o.domain === '')?.version);
  if (version !== opset) throw new KconvError('CHECKSUM_MISMATCH', `read-back check: the written model imports opset ${version}, expected ${opset}`, { file });
  const byName = new Map(model.graph.initializer.map((t) => [t.name, t]));
  for (const p of placements) {
    const want = graph.weights.get(p.weightKey)!;
    const init = byName.get(p.initializer);
    const fail = (why: string) => new KconvError('CHECKSUM_MISMATCH', `read-back check: weight '${p.weightKey}' ${why}`, { where: `graph.initializer/${p.initializer}`, file });
    if (!init) throw fail('is missing from the written file');
    const dtype = DTYPE_OF[init.data_type];
    if (dtype !== want.dtype) throw fail(`was written as ONNX data type ${init.data_type}, expected ${want.dtype}`);
    const raw = new Uint8Array(init.raw_data); // an aligned copy (decoders may return a view into a shared buffer)
    const dims = init.dims.map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    if (raw.byteLength !== want.data.byteLength || count !== want.data.length) throw fail(`holds ${raw.byteLength} bytes for dims [${dims}], expected ${want.data.byteLength}`);
    let got: Tensor = { dtype, shape: dims, data: typedView(dtype, raw.buffer, 0, count) };
    // undo the layout steps in reverse order: the stored dims, the permutation, the block order
    if (p.dims) {
      if (dims.join() !== p.dims.join()) throw fail(`has dims [${dims}], expected [${p.dims}]`);
      const view = p.viewShape ?? want.shape;
      got = { ...got, shape: p.perm ? p.perm.map((a) => view[a]) : [...view] };
    }
    if (p.perm) got = permute(got, inverse(p.perm));
    if (p.blocks) got = takeBlocks(got, p.blocks.axis, inverse(p.blocks.order));
    if (!tensorsIdentical({ ...got, shape: [...want.shape] }, want) || got.shape.join() !== (p.viewShape ?? want.shape).join()) {
      throw fail(`differs from the model's (dtype ${want.dtype} [${want.shape}])`);
    }
  }
}
