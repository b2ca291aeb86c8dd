/**
 * The runtime: `compile(graph, inputShapes)` turns a Graph into a Plan for those input shapes
 * (shapes inferred, padding resolved, weights packed, buffers planned); `plan.run(inputs)` runs
 * it. `runGraph` compiles on demand with the inputs' shapes.
 *
 * Caching: weights are packed once per graph (a WeakMap keyed by the Graph object), and plans are
 * cached per input-shape key, so feeding a variable-length model a new length only re-plans the
 * buffers. Graphs are treated as immutable once compiled.
 *
 * Memory: each intermediate value gets a buffer from a pool; a buffer returns to the pool after
 * the last step that reads it, so long chains reuse a few buffers. Identity-like ops (Dropout,
 * Reshape, channels-last Flatten, linear Activation) alias their input's memory.
 */
import { KconvError } from '../errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { inferShapes, neededNodes, unsupportedError, type Shape } from '../ir/shapes.js';
import { numElements, toFloat32, type Tensor } from '../tensor.js';
import { validateGraph } from '../ir/validate.js';
import { compileNode, type CompileContext, type PackCache, type StateCarry } from './compile-node.js';
import { defaultConv1d } from './select-conv1d.js';
import { collecting, type Releasable } from './resources.js';
import { PlanBuffers, withWorkspace } from './workspace.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { fuseResidualAdd } from './passes/fuse-residual.js';
import type { Conv1DImpl } from './kernels/conv1d-types.js';
import { checkBufferElements, DEFAULT_LIMITS, type Limits } from '../limits.js';

export interface Plan {
  readonly inputShapes: readonly Shape[];
  readonly outputShapes: readonly Shape[];
  /** Shape of every value the plan computes. */
  readonly shapes: ReadonlyMap<string, Shape>;
  /**
   * Runs the model. Inputs in graph input order; outputs (float32, fresh arrays) in output order.
   * `states` (optional) carries the states of Keras `stateful=True` layers across runs: each such
   * layer starts from its entry (by node name; none: the zero state) and, once the whole run has
   * succeeded, its entry is replaced by the layer's final states. Without it every run starts from
   * the zero state. Nothing checks the batch here: the caller keeps it fixed (Model.predict does).
   */
  run(inputs: Tensor[], states?: CarriedStates): Tensor[];
  /**
   * Frees the WebAssembly memory the plan's kernels hold, now rather than when the garbage
   * collector gets to it. A disposed plan refuses to run (DISPOSED); compiling the graph again
   * makes a new plan.
   */
  dispose(): void;
  readonly disposed: boolean;
}

export interface CompileOptions {
  /** Conv1D implementation; defaultConv1d() (WASM SIMD, else blocked) when absent. Tests pass the reference kernel. */
  conv1d?: Conv1DImpl<unknown>;
  /** Caps on working buffers (`maxBufferBytes`); DEFAULT_LIMITS when absent. `load` passes its own. */
  limits?: Readonly<Limits>;
  /** Fold BatchNormalization into the preceding Conv1D/Dense weights (passes/fold-batchnorm.ts); default true. */
  foldBatchNorm?: boolean;
  /**
   * Fuse residual Adds (and the activation after them) into the Conv1D producing one of their
   * inputs (passes/fuse-residual.ts), on Conv1D implementations that can (`fusesResidual`, the
   * WASM kernel); default true.
   */
  fuseResidual?: boolean;
}

interface GraphCache {
  packs: Map<string, PackCache>; // per conv implementation name
  plans: Map<string, Plan>;
}

const caches = new WeakMap<Graph, GraphCache>();

// What a plan took outside the JS heap (WASM regions) is freed by plan.dispose(), or, for a plan
// nobody disposes, when the garbage collector finds it unreachable.
const releaseUncollected = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Releasable[]>((owned) => owned.forEach((r) => r.dispose())) : null;
const validated = new WeakSet<Graph>();

function cacheOf(graph: Graph): GraphCache {
  let c = caches.get(graph);
  if (!c) {
    c = { packs: new Map(), plans: new Map() };
    caches.set(graph, c);
  }
  return c;
}

/**
 * The states of a model's stateful recurrent layers between runs, by node name: each layer's
 * state tensors, [batch, units] each (LSTM h, c; GRU / SimpleRNN h; a Bidirectional's forward
 * then backward ones). Row i continues sample i of the previous run, as in Keras.
 */
export type CarriedStates = Map<string, Float32Array[]>;

/** Whether a node is a Keras `stateful=True` recurrent layer (directly, or wrapped in Bidirectional). */
export function isStatefulNode(node: Node): boolean {
  if (node.op === 'Recurrent') return node.attrs.stateful;
  if (node.op === 'Bidirectional') return node.attrs.forward.stateful || node.attrs.backward.stateful;
  return false;
}

interface Step {
  node: Node;
  run: (inputs: Float32Array[], outputs: Float32Array[], carry?: StateCarry) => void;
  /** A stateful recurrent layer: takes and hands back carried states (see Plan.run). */
  stateful: boolean;
  inSlots: number[];
  /** One slot per output of the node (most nodes have one). */
  outSlots: number[];
}

/**
 * The plan and the weights together within `limits.maxTotalBytes`: each value is capped by
 * `maxBufferBytes`, but a graph of many layers, each under that cap, could still ask for far more
 * than the load's total. A plan holds every value of the graph (float32, aliases counted as their
 * own: an upper bound) next to the weights it was loaded with.
 */
function checkPlanTotal(graph: Graph, shapes: Map<string, Shape>, inputShapes: number[][], limits: Limits): void {
  let weights = 0;
  for (const t of graph.weights.values()) weights += t.data.byteLength;
  let values = 0;
  for (const shape of shapes.values()) values += numElements(shape) * 4;
  if (weights + values > limits.maxTotalBytes) {
    throw new KconvError(
      'LIMIT_EXCEEDED',
      `running on inputs of shape ${JSON.stringify(inputShapes)} would hold ${values} bytes of values (${shapes.size} values) next to ${weights} bytes of weights: ` +
        `expected at most ${limits.maxTotalBytes} bytes in all (limits.maxTotalBytes)`,
    );
  }
}

/** Compiles `graph` for inputs of exactly `inputShapes` (batch axis first). Cached per shape. */
export function compile(graph: Graph, inputShapes: number[][], options: CompileOptions = {}): Plan {
  const impl = options.conv1d ?? defaultConv1d(); // kernel-selection point: src/runtime/select-conv1d.ts
  const cache = cacheOf(graph);
  const limits = options.limits ?? DEFAULT_LIMITS;
  // The limit is part of the key: a plan compiled under a generous limit must not serve a tighter one.
  const fold = options.foldBatchNorm ?? true;
  const fuse = (options.fuseResidual ?? true) && impl.fusesResidual === true;
  const key = `${impl.name}|${limits.maxBufferBytes}|${limits.maxTotalBytes}|${fold}|${fuse}|${JSON.stringify(inputShapes)}`;
  const hit = cache.plans.get(key);
  if (hit) return hit;

  if (!validated.has(graph)) {
    validateGraph(graph);
    validated.add(graph);
  }
  const needed = neededNodes(graph);
  for (const node of needed) if (node.op === 'Unsupported') throw unsupportedError(node);
  const shapes = inferShapes(graph, inputShapes);
  // Sizes come from model files: refuse an oversized value before any node compiles (some kernels
  // precompute index tables from the shape).
  for (const [v, shape] of shapes) checkBufferElements(numElements(shape), 4, `value '${v}'`, limits);
  checkPlanTotal(graph, shapes, inputShapes, limits);

  // What runs: the graph with BatchNorms folded into their producers, then residual Adds fused
  // into theirs (every value it computes is one of the original graph's, with the shape inferred
  // above).
  const folded = fold ? foldBatchNorm(graph, shapes) : graph;
  const runnable = fuse ? fuseResidualAdd(folded, shapes) : folded;
  const packKey = `${impl.name}|${fold}`;
  let packCache = cache.packs.get(packKey);
  if (!packCache) {
    packCache = new Map();
    cache.packs.set(packKey, packCache);
  }
  const ctx: CompileContext = { graph: runnable, packCache, conv1d: impl, limits };

  // Slots: one per value. Aliased values share their source's slot.
  const slotOf = new Map<string, number>();
  let slotCount = 0;
  const newSlot = (v: string) => {
    slotOf.set(v, slotCount);
    return slotCount++;
  };
  const inputSlots = graph.inputs.map(newSlot);
  const steps: Step[] = [];
  // Everything the steps take outside the JS heap (WASM regions) is owned by this plan.
  const { owned } = collecting(() => withWorkspace(impl.workspace ?? null, () => {
    for (const node of runnable === graph ? needed : neededNodes(runnable)) {
      if (node.op === 'Input') continue;
      const compiled = compileNode(ctx, node, node.inputs.map((v) => shapes.get(v)!), shapes.get(node.outputs[0])!);
      const produces = typeof compiled === 'object' ? compiled.outputs : 1;
      if (node.outputs.length !== produces) {
        throw new KconvError('INVALID_GRAPH', `node '${node.name}' (${node.op}) lists ${node.outputs.length} outputs; its kernel produces ${produces}`, { where: `nodes/${node.name}` });
      }
      if (compiled === 'alias') {
        slotOf.set(node.outputs[0], slotOf.get(node.inputs[0])!);
        continue;
      }
      // a kernel with several outputs (a recurrent layer's output and states) writes them all
      const run = typeof compiled === 'object' ? (ins: Float32Array[], outs: Float32Array[], carry?: StateCarry) => compiled.run(ins, outs, carry) : (ins: Float32Array[], outs: Float32Array[]) => compiled(ins, outs[0]);
      const stateful = typeof compiled === 'object' && compiled.stateful === true;
      steps.push({ node, run, stateful, inSlots: node.inputs.map((v) => slotOf.get(v)!), outSlots: node.outputs.map(newSlot) });
    }
  }));
  const outputSlots = graph.outputs.map((v) => slotOf.get(v)!);

  // Buffer planning: the size each slot needs, its last reader, then greedy reuse from a pool.
  const slotSize = new Array<number>(slotCount).fill(0);
  for (const [v, slot] of slotOf) slotSize[slot] = Math.max(slotSize[slot], numElements(shapes.get(v)!));
  const lastUse = new Array<number>(slotCount).fill(-1);
  steps.forEach((s, i) => s.inSlots.forEach((slot) => (lastUse[slot] = i)));
  const pinned = new Set([...inputSlots, ...outputSlots]);
  // backingOf[slot]: which backing buffer holds the slot (its first slotSize[slot] values)
  const backingOf = new Array<number>(slotCount).fill(-1);
  const backingSize: number[] = [];
  const newBacking = (size: number) => backingSize.push(size) - 1;
  const workspace = impl.workspace;
  // With a workspace, the model's inputs get regions too: they are copied in, and from there on
  // every kernel reads and writes WebAssembly memory.
  if (workspace) for (const slot of inputSlots) backingOf[slot] = newBacking(slotSize[slot]);
  const pool: number[] = [];
  steps.forEach((s, i) => {
    for (const out of s.outSlots) {
      const size = slotSize[out];
      const at = pool.findIndex((b) => backingSize[b] >= size);
      backingOf[out] = at >= 0 ? pool.splice(at, 1)[0] : newBacking(size);
    }
    for (const slot of new Set(s.inSlots)) {
      if (lastUse[slot] === i && !pinned.has(slot) && backingOf[slot] >= 0) pool.push(backingOf[slot]);
    }
    for (const out of s.outSlots) if (lastUse[out] === -1 && !pinned.has(out)) pool.push(backingOf[out]);
  });
  let planBuffers: PlanBuffers | null = null;
  if (workspace) {
    const regions: { at: number; length: number }[] = [];
    try {
      // Nothing reads a region before a step (or the input copy) has written all of it.
      for (const size of backingSize) regions.push({ at: workspace.alloc(size * 4, false), length: size });
      planBuffers = new PlanBuffers(workspace, regions);
      owned.push(planBuffers);
    } catch (e) {
      for (const r of regions) workspace.release(r.at, r.length * 4);
      // Values too big for the WebAssembly memory (a 32-bit memory, and the threads' shared one
      // declares at most 1 GiB) stay on the JS heap, as without a workspace: the kernels then
      // copy in and out, as they did before plans kept their values in WASM memory.
      if (!(e instanceof KconvError && e.code === 'LIMIT_EXCEEDED')) {
        for (const r of owned) r.dispose();
        throw e;
      }
    }
  }
  const inWorkspace = planBuffers !== null;
  const backings: readonly Float32Array[] = planBuffers ? planBuffers.views : backingSize.map((size) => new Float32Array(size));
  const buffers: Float32Array[] = new Array(slotCount);
  const viewSlots = () => {
    for (let slot = 0; slot < slotCount; slot++) {
      const b = backingOf[slot];
      if (b >= 0) buffers[slot] = backings[b].length === slotSize[slot] ? backings[b] : backings[b].subarray(0, slotSize[slot]);
    }
  };
  viewSlots();
  // Re-takes the slot views when the workspace memory has grown (see workspace.ts).
  let viewsOf = planBuffers ? planBuffers.views[0]?.buffer : null;
  const refresh = planBuffers
    ? () => {
        planBuffers.refresh();
        if (planBuffers.views[0]?.buffer !== viewsOf) {
          viewsOf = planBuffers.views[0]?.buffer;
          viewSlots();
        }
      }
    : () => {};

  const outputShapes = graph.outputs.map((v) => shapes.get(v)!);
  const frozenInputShapes = inputShapes.map((s) => [...s]);
  let disposed = false;
  const plan: Plan = {
    inputShapes: frozenInputShapes,
    outputShapes,
    shapes,
    get disposed() {
      return disposed;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      releaseUncollected?.unregister(plan);
      for (const r of owned) r.dispose();
      if (cache.plans.get(key) === plan) cache.plans.delete(key);
    },
    run(inputs: Tensor[], states?: CarriedStates): Tensor[] {
      if (disposed) throw new KconvError('DISPOSED', 'this plan was disposed (plan.dispose() or model.dispose()) and no longer holds its memory: compile the graph again (or load the model again) to run it');
      if (inputs.length !== graph.inputs.length) {
        throw new KconvError('BAD_INPUT', `the model takes ${graph.inputs.length} input(s) (${graph.inputs.join(', ')}), ${inputs.length} given`);
      }
      inputs.forEach((t, i) => {
        const want = frozenInputShapes[i];
        if (t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j])) {
          throw new KconvError('BAD_INPUT', `input ${i} ('${graph.inputs[i]}') has shape [${t.shape.join(', ')}], the plan was compiled for [${want.join(', ')}]`);
        }
        if (!inWorkspace) buffers[inputSlots[i]] = toFloat32(t);
      });
      refresh();
      if (inWorkspace) inputs.forEach((t, i) => buffers[inputSlots[i]].set(toFloat32(t)));
      // final states are kept aside until every step has run: a run that throws leaves `states` as it was
      const finals: [string, Float32Array[]][] = [];
      for (const s of steps) {
        const carry = states && s.stateful ? { initial: states.get(s.node.name) ?? null } as StateCarry : undefined;
        s.run(s.inSlots.map((slot) => buffers[slot]), s.outSlots.map((slot) => buffers[slot]), carry);
        if (carry?.final) finals.push([s.node.name, carry.final]);
        refresh(); // a kernel may have grown the memory (its lazy allocations)
      }
      for (const [name, final] of finals) states!.set(name, final);
      return outputSlots.map((slot, i) => ({ dtype: 'float32', shape: [...outputShapes[i]], data: buffers[slot].slice() }));
    },
  };
  releaseUncollected?.register(plan, owned, plan);
  cache.plans.set(key, plan);
  return plan;
}

/** Runs `graph` on `inputs`, compiling (or reusing the cached plan) for their shapes. */
export function runGraph(graph: Graph, inputs: Tensor[], options: CompileOptions = {}): Tensor[] {
  return compile(graph, inputs.map((t) => [...t.shape]), options).run(inputs);
}

export type { Conv1DImpl, Conv1DParams, Conv1DGeometry, Conv1DRun } from './kernels/conv1d-types.js';
export { conv1dBlocked } from './kernels/conv1d-blocked.js';
export { conv1dReference } from './kernels/conv1d-reference.js';
export { conv1dWasmSimd, defaultConv1d, setDefaultConv1d } from './select-conv1d.js';
