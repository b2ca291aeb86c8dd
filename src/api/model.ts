/**
 * `Model`: a loaded model as the public API hands it out. It wraps the IR Graph (available as
 * `model.graph` for anything the convenience methods do not cover) and adds what a user wants
 * from a model: a summary, a JSON-able report, prediction, and weights by layer name.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { numElements, type DType, type Tensor, type TypedArray } from '../tensor.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { compileGraph, declaredShapes, hasStatefulLayers, type CarriedStates, type CompiledModel } from './engine.js';
import { weightsOnlyInfo } from '../keras/read/weights-only.js';
import { architectureJson } from '../keras/write/architecture-json.js';
import { parseTarget } from '../keras/targets.js';
import { keras3LoadRange, NEWEST_KERAS3_MINOR, oldestRepresentableKeras3 } from './keras3-target.js';
import { targetFor } from './target-version.js';
import { buildReport, formatReport, type InspectReport } from './inspect.js';

/**
 * One input tensor: a shape (batch axis first) and its values in row-major order. `dtype` may be
 * left out: a Float32Array (or a plain number array) is float32, an Int32Array int32, and so on.
 */
export interface InputTensor {
  dtype?: DType;
  shape: readonly number[];
  data: TypedArray | readonly number[];
}

/** Inputs to `predict`: one tensor (single-input models), tensors in model input order, or tensors by input name. */
export type PredictInputs = InputTensor | InputTensor[] | Record<string, InputTensor>;

/** What `predict` returns: every output is float32. */
export interface Float32Tensor extends Tensor {
  dtype: 'float32';
  data: Float32Array;
}

/** Options of `predict`. */
export interface PredictOptions {
  /**
   * Keras `stateful=True`: each stateful recurrent layer starts from the final states the previous
   * carrying call left (row i continuing sample i, so the batch size must stay the same), and keeps
   * this call's final states for the next one. The first carrying call, and the first after
   * `resetStates()`, starts from the zero state. Without it (the default) every call starts from
   * the zero state and leaves the carried states alone. Layers that are not stateful are unaffected.
   */
  carryState?: boolean;
}

function isTensorLike(x: unknown): x is InputTensor {
  return typeof x === 'object' && x !== null && 'shape' in x && 'data' in x;
}

/** The dtype a typed array holds (float16 data must say so: a Uint16Array alone reads as raw 16-bit). */
function dtypeOfData(data: unknown): DType | null {
  if (data instanceof Float32Array || Array.isArray(data)) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof BigInt64Array) return 'int64';
  return null;
}

const TFJS_HINT = 'a tfjs tensor must be turned into values first: {dtype: t.dtype, shape: t.shape, data: await t.data()} (or await fromTfjs(t))';

/** Checks one input and turns it into a Tensor; every problem is a BAD_INPUT naming the input. */
function toInputTensor(x: unknown, label: string): Tensor {
  if (!isTensorLike(x)) throw new KconvError('BAD_INPUT', `${label} is not a tensor: expected {dtype?, shape, data}, found ${describeValue(x)}`);
  if (typeof x.data === 'function' || typeof (x as { dataSync?: unknown }).dataSync === 'function') {
    throw new KconvError('BAD_INPUT', `${label} is a tfjs Tensor, whose values stay on its backend: ${TFJS_HINT}`);
  }
  const shape = [...x.shape];
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new KconvError('BAD_INPUT', `${label} has shape [${shape.join(', ')}]: expected non-negative integers`);
  const fromData = dtypeOfData(x.data);
  const dtype = x.dtype ?? fromData;
  if (dtype === null) throw new KconvError('BAD_INPUT', `${label}: cannot tell the dtype of its data (${describeValue(x.data)}); give dtype`);
  if (fromData === null && !(x.data instanceof Uint16Array && (dtype === 'float16' || dtype === 'bfloat16'))) {
    throw new KconvError('BAD_INPUT', `${label}: data must be a typed array or an array of numbers, found ${describeValue(x.data)}`);
  }
  const data: TypedArray = Array.isArray(x.data) ? Float32Array.from(x.data as number[]) : (x.data as TypedArray);
  const n = numElements(shape);
  if (data.length !== n) {
    throw new KconvError('BAD_INPUT', `${label} has shape [${shape.join(', ')}], which needs ${n} values; its data has ${data.length}`);
  }
  return { dtype, shape, data };
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'Object'})`;
  return typeof x;
}

export class Model {
  /** The canonical IR graph: nodes, weights (canonical layouts) and provenance. */
  readonly graph: Graph;
  /** The file name given to `load`, if any. */
  readonly filename: string | null;
  private readonly plans = new Map<string, CompiledModel>();
  private report: InspectReport | undefined;
  private isDisposed = false;
  /** What `predict(x, { carryState: true })` carries: the stateful layers' states and the batch they are for; null = the zero state. */
  private carried: { batch: number; states: CarriedStates } | null = null;

  /** The limits the model was loaded under; `predict` sizes its working buffers within them. */
  readonly limits: Readonly<Limits>;

  constructor(graph: Graph, filename: string | null = null, limits: Readonly<Limits> = DEFAULT_LIMITS) {
    this.graph = graph;
    this.filename = filename;
    this.limits = limits;
  }

  /** Names of the model's inputs, in order (for `predict` by name). */
  get inputNames(): string[] {
    return [...this.graph.inputs];
  }

  /** Names of the model's outputs, in order. */
  get outputNames(): string[] {
    return [...this.graph.outputs];
  }

  /**
   * A stable, JSON-able description: format, Keras version and backend, inputs/outputs, layers
   * with output shapes and parameter counts, each Conv1D's canonical config, a weights summary
   * and warnings. This is what `kconv inspect --json` prints.
   */
  inspect(): InspectReport {
    if (!this.report) {
      const report = buildReport(this.graph, this.filename, declaredShapes(this.graph));
      // a weights-only file has no architecture to convert: which Keras 3 would load it says nothing
      if (report.weightTensors) {
        this.report = report;
      } else {
        const minor = oldestRepresentableKeras3(this.graph);
        const keras3 = minor === null ? null : { target: `3.${minor}`, loadsIn: keras3LoadRange(minor) };
        this.report = { ...report, keras3 };
      }
    }
    return this.report;
  }

  /** The human-readable summary `kconv inspect` prints (layers, shapes, Conv1D configs, warnings). */
  summary(): string {
    return formatReport(this.inspect());
  }

  /**
   * Runs the model. Inputs are float32 (or int32 for Embedding inputs) tensors with a batch axis
   * first; returns one float32 tensor per model output, in model order. A plan is compiled once per
   * distinct set of input shapes and reused. Working buffers are bounded by the load's
   * `limits.maxBufferBytes` (LIMIT_EXCEEDED beyond). `options.carryState` carries the states of
   * Keras `stateful=True` layers from call to call (see PredictOptions and `resetStates`).
   */
  async predict(inputs: PredictInputs, options: PredictOptions = {}): Promise<Float32Tensor[]> {
    if (this.isDisposed) {
      throw new KconvError('DISPOSED', `this model${this.filename ? ` (${this.filename})` : ''} was disposed: model.dispose() freed its working memory, so it cannot predict; load it again to run it (its graph and weights stay readable)`);
    }
    if (weightsOnlyInfo(this.graph)) {
      throw new KconvError('USAGE', `${this.filename ?? 'this file'} holds weights only, without the model architecture: to run it, give the architecture JSON (model.to_json()) with the architecture option`);
    }
    const ordered = this.orderInputs(inputs);
    const shapes = ordered.map((t) => [...t.shape]);
    const key = JSON.stringify(shapes);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = compileGraph(this.graph, shapes, this.limits);
      this.plans.set(key, plan);
    }
    if (!options.carryState || !hasStatefulLayers(this.graph)) return plan.run(ordered) as Float32Tensor[];
    // Every input shares the batch axis (the plan's shape inference checked it).
    const batch = shapes[0][0];
    if (this.carried && this.carried.batch !== batch) {
      throw new KconvError(
        'BAD_INPUT',
        `predict with carryState: the stateful layers carry states for a batch of ${this.carried.batch} (row i continues sample i of the previous call), ` +
          `found a batch of ${batch}; keep the batch size, as Keras's fixed batch_input_shape does, or call model.resetStates() first to start from the zero state`,
      );
    }
    const states: CarriedStates = this.carried?.states ?? new Map();
    const outputs = plan.run(ordered, states) as Float32Tensor[];
    this.carried = { batch, states };
    return outputs;
  }

  /**
   * Forgets the states `predict(x, { carryState: true })` carries (Keras `model.reset_states()`):
   * the next carrying call starts from the zero state, with any batch size.
   */
  resetStates(): void {
    this.carried = null;
  }

  /**
   * `predict` with the outputs keyed by name, as onnxruntime's `session.run` returns them:
   * `const { activation } = await model.predictNamed({ input_1: x })`.
   */
  async predictNamed(inputs: PredictInputs, options: PredictOptions = {}): Promise<Record<string, Float32Tensor>> {
    const outputs = await this.predict(inputs, options);
    return Object.fromEntries(this.graph.outputs.map((name, i) => [name, outputs[i]]));
  }

  /**
   * Frees the WebAssembly memory of every plan `predict` compiled (packed weights, working
   * buffers) now, instead of whenever the garbage collector runs. Afterwards `predict` refuses
   * with DISPOSED; `graph`, `weights()`, `inspect()` still work. Calling it twice is harmless.
   */
  dispose(): void {
    this.isDisposed = true;
    this.carried = null;
    for (const plan of this.plans.values()) plan.dispose();
    this.plans.clear();
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /**
   * The weights of one layer by role (`kernel`, `bias`, `gamma`, ...), in kconv's canonical
   * layout (Conv1D kernel `[kernelSize, inChannels / groups, filters]`, whatever the file stored).
   * `name` is the Keras layer name as `inspect` lists it.
   */
  weights(name: string): Record<string, Tensor> {
    const only = weightsOnlyInfo(this.graph);
    if (only) {
      // weights-only file: the layer's tensors by their stored names
      const layer = only.layers.find((l) => l.name === name);
      if (!layer) throw new KconvError('USAGE', `no layer named '${name}'; layers: ${only.layers.map((l) => l.name).join(', ') || '(none)'}`);
      return Object.fromEntries(layer.weights.map((w) => [w.name, this.graph.weights.get(w.key)!]));
    }
    const node = this.findLayer(name);
    const out: Record<string, Tensor> = {};
    for (const [role, key] of Object.entries(node.weights)) {
      const t = this.graph.weights.get(key);
      if (!t) throw new KconvError('BAD_WEIGHTS', `layer '${name}' refers to weight '${key}' (${role}), which the model does not have`);
      out[role] = t;
    }
    return out;
  }

  /**
   * The architecture alone, as `model.to_json()` of the target Keras writes it (parsed): what a
   * weights-only file needs beside it. `targetVersion` as for `save` (default: the oldest Keras 3
   * that holds the model). `JSON.stringify(model)` gives the same document.
   */
  toJSON(options: { targetVersion?: string } | string = {}): Record<string, unknown> {
    // JSON.stringify calls toJSON(key) with a string: that means the defaults.
    const targetVersion = typeof options === 'string' ? undefined : options.targetVersion;
    const target = parseTarget(targetVersion === undefined ? `keras-3.${oldestRepresentableKeras3(this.graph) ?? NEWEST_KERAS3_MINOR}` : targetFor(targetVersion));
    return JSON.parse(architectureJson(this.graph, target)) as Record<string, unknown>;
  }

  /** Names of the layers, in graph order (as `weights()` accepts them). */
  layerNames(): string[] {
    const only = weightsOnlyInfo(this.graph);
    if (only) return only.layers.map((l) => l.name);
    return this.graph.nodes.map((n) => n.name);
  }

  private findLayer(name: string): Node {
    const node = this.graph.nodes.find((n) => n.name === name) ?? this.graph.nodes.find((n) => n.keras?.layerName === name);
    if (!node) {
      const names = this.graph.nodes.filter((n) => Object.keys(n.weights).length > 0).map((n) => n.name);
      throw new KconvError('USAGE', `no layer named '${name}'; layers with weights: ${names.join(', ') || '(none)'}`);
    }
    return node;
  }

  private orderInputs(inputs: PredictInputs): Tensor[] {
    const names = this.graph.inputs;
    let list: unknown[];
    if (isTensorLike(inputs) || (typeof inputs === 'object' && inputs !== null && typeof (inputs as { dataSync?: unknown }).dataSync === 'function')) list = [inputs];
    else if (Array.isArray(inputs)) list = inputs;
    else {
      const given = Object.keys(inputs);
      for (const g of given) {
        if (!names.includes(g)) throw new KconvError('BAD_INPUT', `the model has no input named '${g}' (inputs: ${names.join(', ')})`);
      }
      list = names.map((n) => {
        const t = inputs[n];
        if (!t) throw new KconvError('BAD_INPUT', `no tensor given for input '${n}' (inputs: ${names.join(', ')})`);
        return t;
      });
    }
    if (list.length !== names.length) {
      throw new KconvError('BAD_INPUT', `the model has ${names.length} input(s) (${names.join(', ')}), ${list.length} given`);
    }
    return list.map((t, i) => toInputTensor(t, `input ${i} ('${names[i]}')`));
  }
}
