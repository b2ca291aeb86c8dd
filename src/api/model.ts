/**
 * `Model`: a loaded model as the public API hands it out. It wraps the IR Graph (available as
 * `model.graph` for anything the convenience methods do not cover) and adds what a user wants
 * from a model: a summary, a JSON-able report, prediction, and weights by layer name.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { tensor, type Tensor } from '../tensor.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { compileGraph, declaredShapes, type CompiledModel } from './engine.js';
import { weightsOnlyInfo } from '../keras/read/weights-only.js';
import { buildReport, formatReport, type InspectReport } from './inspect.js';

/** Inputs to `predict`: one tensor (single-input models), tensors in model input order, or tensors by input name. */
export type PredictInputs = Tensor | Tensor[] | Record<string, Tensor>;

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'shape' in x && 'data' in x && 'dtype' in x;
}

export class Model {
  /** The canonical IR graph: nodes, weights (canonical layouts) and provenance. */
  readonly graph: Graph;
  /** The file name given to `load`, if any. */
  readonly filename: string | null;
  private readonly plans = new Map<string, CompiledModel>();
  private report: InspectReport | undefined;
  private isDisposed = false;

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
    if (!this.report) this.report = buildReport(this.graph, this.filename, declaredShapes(this.graph));
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
   * `limits.maxBufferBytes` (LIMIT_EXCEEDED beyond).
   */
  async predict(inputs: PredictInputs): Promise<Tensor[]> {
    if (this.isDisposed) {
      throw new KconvError('DISPOSED', `this model${this.filename ? ` (${this.filename})` : ''} was disposed: model.dispose() freed its working memory, so it cannot predict; load it again to run it (its graph and weights stay readable)`);
    }
    if (weightsOnlyInfo(this.graph)) {
      throw new KconvError('USAGE', `${this.filename ?? 'this file'} holds weights only, without the model architecture: load it with the architecture (option \`architecture\`, CLI --architecture) to run it`);
    }
    const ordered = this.orderInputs(inputs);
    const shapes = ordered.map((t) => [...t.shape]);
    const key = JSON.stringify(shapes);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = compileGraph(this.graph, shapes, this.limits);
      this.plans.set(key, plan);
    }
    return plan.run(ordered);
  }

  /**
   * Frees the WebAssembly memory of every plan `predict` compiled (packed weights, working
   * buffers) now, instead of whenever the garbage collector runs. Afterwards `predict` refuses
   * with DISPOSED; `graph`, `weights()`, `inspect()` still work. Calling it twice is harmless.
   */
  dispose(): void {
    this.isDisposed = true;
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
    let list: Tensor[];
    if (isTensor(inputs)) list = [inputs];
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
    return list.map((t, i) => {
      if (!isTensor(t)) throw new KconvError('BAD_INPUT', `input ${i} (${names[i]}) is not a tensor {dtype, shape, data}`);
      return tensor(t.dtype, t.shape, t.data);
    });
  }
}
