/**
 * The `inspect` report: a plain, JSON-able description of a loaded model. Its shape is part of
 * the public API (`kconv inspect --json` prints it): fields are only ever added, never renamed or
 * removed, and `schema` changes if that promise ever has to be broken.
 */
import type { Graph, Node } from '../ir/graph.js';
import type { Activation, Padding } from '../ir/ops/index.js';
import { paddingName, type PaddingName } from '../ir/padding.js';
import { DTYPE_SIZE, numElements, type DType } from '../tensor.js';
import { weightsOnlyInfo } from '../keras/read/weights-only.js';

/** A shape without interpretation: `null` marks a dimension unknown until run time (batch, steps). */
export type Shape = (number | null)[];

export interface TensorInfo {
  /** The IR value name (for inputs: the Keras input layer name). */
  name: string;
  /** Full shape including the batch axis, or null when kconv cannot infer it. */
  shape: Shape | null;
  dtype: DType | null;
  /**
   * For an input that feeds an Embedding: the smallest and largest index it accepts (inclusive).
   * Such an input is reported as `int32` whatever dtype the file declared (Keras 2 declares
   * float32 and casts), since only integers in this range mean anything to the model.
   */
  indexRange?: [number, number];
}

export interface LayerInfo {
  /** Keras layer name (suffixed `@N` for the N-th call of a shared layer). */
  name: string;
  /** Keras class as written in the file (e.g. `Convolution1D`, `Conv1D`, `RevCompConv1D`). */
  className: string;
  /** The IR op it maps to. */
  op: string;
  /** Value names this layer reads. */
  inputs: string[];
  /** Output shape(s) including the batch axis; null entries where kconv cannot infer them. */
  outputShapes: (Shape | null)[];
  /** Number of weight elements this layer owns (a shared layer counts once, on its first call). */
  params: number;
  /** Enclosing nested models, outermost first (absent for top-level layers). */
  scope?: string[];
}

/** A Conv1D as every Keras generation means it, with all defaults resolved. */
export interface Conv1DInfo {
  layer: string;
  className: string;
  filters: number;
  inChannels: number;
  kernelSize: number;
  stride: number;
  dilation: number;
  groups: number;
  /** `valid`, `same`, `causal`, or `explicit` when the padding is none of those. */
  padding: PaddingName;
  /** Steps of zero padding before/after, or null for `same` (resolved from the input length at run time). */
  padBefore: number | null;
  padAfter: number | null;
  /** `channels_last` (NWC) or `channels_first` (NCW). */
  dataFormat: 'channels_last' | 'channels_first';
  activation: string;
  useBias: boolean;
  /** Canonical kernel shape `[kernelSize, inChannels / groups, filters]`. */
  kernelShape: number[];
}

export interface UnsupportedInfo {
  layer: string;
  className: string;
  reason: string;
}

export interface WeightsSummary {
  /** Number of distinct weight tensors. */
  tensors: number;
  /** Total number of elements. */
  params: number;
  /** Total bytes as stored (in each tensor's own dtype). */
  bytes: number;
  /** Elements per dtype, e.g. `{ "float32": 1234 }`. */
  byDtype: Partial<Record<DType, number>>;
}

/** One stored tensor of a weights-only file (listed because there are no layers to attach it to). */
export interface WeightTensorInfo {
  /** The layer (top-level group of the file) it belongs to. */
  layer: string;
  /** Its name as stored, e.g. `sequential/conv1d/kernel:0` (legacy) or `vars/0` (Keras 3). */
  name: string;
  shape: number[];
  dtype: DType;
}

export interface InspectReport {
  /** Version of this report's layout. */
  schema: 1;
  /** File name given to `load`, if any. */
  file: string | null;
  /** Source format: a name of src/model-formats.ts, e.g. `keras-h5`, `keras-v3`, `tf1-checkpoint`. */
  format: string;
  /** `keras_version` recorded by the writer, or null when the file does not say. */
  kerasVersion: string | null;
  /** Backend recorded by the writer, or null when the file does not say. */
  backend: string | null;
  /** Backend kconv assumed because the file did not say (then a warning says so too), else null. */
  assumedBackend: string | null;
  /** Model name and Keras class (`Sequential`, `Functional`, `Model`...) when known. */
  model: { name: string; className: string | null };
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  layers: LayerInfo[];
  conv1d: Conv1DInfo[];
  weights: WeightsSummary;
  /** Whether every layer can be run by kconv. */
  runnable: boolean;
  /**
   * What a Keras 3 conversion with no version asked for (`kconv convert --to keras3`, `save`)
   * targets: the oldest Keras 3 that holds the model, and the versions that load the file; null
   * when no Keras 3 can hold it.
   */
  keras3?: { target: string; loadsIn: string } | null;
  /** Layers that load but cannot run (Lambda, custom classes...). */
  unsupported: UnsupportedInfo[];
  warnings: string[];
  /**
   * Weights-only files loaded without their architecture: every stored tensor (then `layers` is
   * empty and `runnable` false). Absent for models.
   */
  weightTensors?: WeightTensorInfo[];
}

/** Shapes of values, when known: value name → full shape (with batch). */
export type ShapeTable = Map<string, Shape>;

function describePadding(p: Padding, dilation: number, kernelSize: number): Pick<Conv1DInfo, 'padding' | 'padBefore' | 'padAfter'> {
  const padding = paddingName(p, kernelSize, dilation);
  if (p.kind === 'same') return { padding, padBefore: null, padAfter: null };
  if (p.kind === 'theano-same') return { padding, padBefore: p.before, padAfter: null };
  return { padding, padBefore: p.before, padAfter: p.after };
}

export function describeActivation(a: Activation): string {
  const extras: string[] = [];
  if (a.alpha !== undefined) extras.push(`alpha=${a.alpha}`);
  if (a.maxValue !== undefined && a.maxValue !== null) extras.push(`max_value=${a.maxValue}`);
  if (a.threshold !== undefined && a.threshold !== 0) extras.push(`threshold=${a.threshold}`);
  if (a.axis !== undefined && a.axis !== -1) extras.push(`axis=${a.axis}`);
  return extras.length ? `${a.fn}(${extras.join(', ')})` : a.fn;
}

function layerName(node: Node): string {
  return node.name;
}

function className(node: Node): string {
  if (node.keras) return node.keras.className;
  if (node.op === 'Unsupported') return node.attrs.className;
  return node.op;
}

/**
 * The vocabulary size of the Embedding(s) an input feeds (the smallest, when several read it), or
 * null when no Embedding reads it directly.
 */
export function embeddingVocabulary(graph: Graph, input: string): number | null {
  let size: number | null = null;
  for (const node of graph.nodes) {
    if (node.op === 'Embedding' && node.inputs.includes(input)) size = Math.min(size ?? Infinity, node.attrs.inputDim);
  }
  return size;
}

/** Builds the report. `shapes` comes from shape inference; missing entries print as unknown. */
export function buildReport(graph: Graph, file: string | null, shapes: ShapeTable, extraWarnings: string[] = []): InspectReport {
  const p = graph.provenance;
  const seenWeightKeys = new Set<string>();
  const layers: LayerInfo[] = [];
  const conv1d: Conv1DInfo[] = [];
  const unsupported: UnsupportedInfo[] = [];
  for (const node of graph.nodes) {
    let params = 0;
    for (const key of Object.values(node.weights)) {
      if (seenWeightKeys.has(key)) continue;
      seenWeightKeys.add(key);
      const t = graph.weights.get(key);
      if (t) params += numElements(t.shape);
    }
    const info: LayerInfo = {
      name: layerName(node),
      className: className(node),
      op: node.op,
      inputs: [...node.inputs],
      outputShapes: node.outputs.map((v) => shapes.get(v) ?? null),
      params,
    };
    if (node.keras?.scope && node.keras.scope.length > 0) info.scope = [...node.keras.scope];
    layers.push(info);
    if (node.op === 'Conv1D') {
      const a = node.attrs;
      conv1d.push({
        layer: node.name,
        className: className(node),
        filters: a.filters,
        inChannels: a.inChannels,
        kernelSize: a.kernelSize,
        stride: a.stride,
        dilation: a.dilation,
        groups: a.groups,
        ...describePadding(a.padding, a.dilation, a.kernelSize),
        dataFormat: a.layout === 'NCW' ? 'channels_first' : 'channels_last',
        activation: describeActivation(a.activation),
        useBias: a.useBias,
        kernelShape: [a.kernelSize, a.inChannels / a.groups, a.filters],
      });
    }
    if (node.op === 'Unsupported') {
      unsupported.push({ layer: node.name, className: node.attrs.className, reason: node.attrs.reason });
    }
  }
  const byDtype: Partial<Record<DType, number>> = {};
  let total = 0;
  let bytes = 0;
  for (const t of graph.weights.values()) {
    const n = numElements(t.shape);
    total += n;
    bytes += n * DTYPE_SIZE[t.dtype];
    byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + n;
  }
  const inputNodes = new Map<string, Node>();
  for (const node of graph.nodes) if (node.op === 'Input') for (const v of node.outputs) inputNodes.set(v, node);
  const inputs: TensorInfo[] = graph.inputs.map((name) => {
    const node = inputNodes.get(name);
    const declared = node && node.op === 'Input' ? ([node.attrs.batchSize, ...node.attrs.shape] as Shape) : null;
    const info: TensorInfo = { name, shape: shapes.get(name) ?? declared, dtype: node && node.op === 'Input' ? node.attrs.dtype : null };
    const vocabulary = embeddingVocabulary(graph, name);
    if (vocabulary !== null) {
      info.dtype = 'int32';
      info.indexRange = [0, vocabulary - 1];
    }
    return info;
  });
  const outputs: TensorInfo[] = graph.outputs.map((name) => ({ name, shape: shapes.get(name) ?? null, dtype: shapes.has(name) ? 'float32' : null }));
  const warnings = [...p.warnings];
  if (!p.backend && p.assumedBackend && !warnings.some((w) => w.includes('backend'))) {
    warnings.push(`backend not recorded; assuming ${p.assumedBackend}`);
  }
  for (const w of extraWarnings) if (!warnings.includes(w)) warnings.push(w);
  const weightsOnly = weightsOnlyInfo(graph);
  return {
    schema: 1,
    file,
    format: p.format,
    kerasVersion: p.kerasVersion ?? null,
    backend: p.backend ?? null,
    assumedBackend: p.backend ? null : (p.assumedBackend ?? null),
    model: { name: graph.name, className: p.model?.className ?? null },
    inputs,
    outputs,
    layers,
    conv1d,
    weights: { tensors: graph.weights.size, params: total, bytes, byDtype },
    runnable: unsupported.length === 0 && !weightsOnly,
    unsupported,
    warnings,
    ...(weightsOnly
      ? {
          weightTensors: weightsOnly.layers.flatMap((l) =>
            l.weights.map((w) => {
              const t = graph.weights.get(w.key)!;
              return { layer: l.name, name: w.name, shape: [...t.shape], dtype: t.dtype };
            }),
          ),
        }
      : {}),
  };
}

function formatShape(s: Shape | null): string {
  if (!s) return '?';
  return `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

/** The human summary `Model.summary()` returns and `kconv inspect` prints. */
export function formatReport(r: InspectReport): string {
  const lines: string[] = [];
  const backend = r.backend ?? (r.assumedBackend ? `${r.assumedBackend} (assumed: not recorded)` : 'not recorded');
  lines.push(`Model: ${r.model.name}${r.model.className ? ` (${r.model.className})` : ''}`);
  if (r.file) lines.push(`File: ${r.file}`);
  lines.push(`Format: ${r.format}   Keras: ${r.kerasVersion ?? 'not recorded'}   Backend: ${backend}`);
  if (!r.weightTensors) {
    lines.push(`Inputs: ${r.inputs.map((i) => `${i.name} ${formatShape(i.shape)}${i.dtype && i.dtype !== 'float32' ? ` ${i.dtype}` : ''}${i.indexRange ? ` in [${i.indexRange.join(', ')}]` : ''}`).join(', ')}`);
    lines.push(`Outputs: ${r.outputs.map((o) => `${o.name} ${formatShape(o.shape)}`).join(', ')}`);
    lines.push('');
    const rows = [['Layer', 'Class', 'Output shape', 'Params']];
    for (const l of r.layers) {
      const name = l.scope ? `${l.scope.join('/')}/${l.name}` : l.name;
      rows.push([name, l.className, l.outputShapes.map(formatShape).join(', '), String(l.params)]);
    }
    lines.push(...table(rows));
  }
  lines.push('');
  const dtypes = Object.entries(r.weights.byDtype).map(([d, n]) => `${d}: ${n}`).join(', ');
  lines.push(`Weights: ${r.weights.params} parameters in ${r.weights.tensors} tensors, ${r.weights.bytes} bytes${dtypes ? ` (${dtypes})` : ''}`);
  if (r.conv1d.length > 0) {
    lines.push('');
    lines.push('Conv1D layers (canonical config):');
    const crows = [['Layer', 'filters', 'kernel', 'stride', 'dilation', 'groups', 'padding', 'format', 'activation', 'bias']];
    for (const c of r.conv1d) {
      const pad = c.padding === 'explicit' ? `explicit(${c.padBefore},${c.padAfter})` : c.padding;
      crows.push([c.layer, String(c.filters), String(c.kernelSize), String(c.stride), String(c.dilation), String(c.groups), pad, c.dataFormat, c.activation, c.useBias ? 'yes' : 'no']);
    }
    lines.push(...table(crows).map((l) => `  ${l}`));
  }
  if (r.weightTensors) {
    lines.push('');
    lines.push('Weight tensors (weights only, no architecture):');
    const wrows = [['Layer', 'Weight', 'Shape', 'dtype']];
    for (const w of r.weightTensors) wrows.push([w.layer, w.name, formatShape(w.shape), w.dtype]);
    lines.push(...table(wrows).map((l) => `  ${l}`));
  }
  if (r.keras3 !== undefined) {
    lines.push('');
    lines.push(r.keras3 ? `Converts to Keras 3 as a file for Keras ${r.keras3.target}: loads in ${r.keras3.loadsIn}` : 'Converts to Keras 3: no Keras 3 can hold this model');
  }
  if (r.unsupported.length > 0) {
    lines.push('');
    lines.push('Layers kconv loads but cannot run:');
    for (const u of r.unsupported) lines.push(`  ${u.layer} (${u.className}): ${u.reason}`);
  }
  if (r.warnings.length > 0) {
    lines.push('');
    for (const w of r.warnings) lines.push(`warning: ${w}`);
  }
  return lines.join('\n');
}
