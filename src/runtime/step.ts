/**
 * What compiling one node produces (a plan step) and what a kernel module's compiler gets to
 * make it: the graph, the per-graph pack cache, the Conv1D implementation and the limits.
 * Everything that can be computed before seeing data is done by the compiler: padding resolved,
 * weights converted to float32 and packed (once per graph: the pack cache survives recompiles
 * for new input lengths), scratch buffers allocated.
 */
import { KconvError } from '../errors.js';
import type { Graph, NodeOf } from '../ir/graph.js';
import { LINEAR, type Activation, type OpType } from '../ir/ops/index.js';
import type { Shape } from '../ir/shapes.js';
import { toFloat32 } from '../tensor.js';
import type { Limits } from '../limits.js';
import { applySoftmax, isElementwise } from './activations.js';
import type { Conv1DImpl } from './kernels/conv1d-types.js';

/** Computes the node's single output from its inputs (already shaped as inferred). */
export type StepFn = (inputs: Float32Array[], output: Float32Array) => void;

/** A computation with several outputs, in the node's output order (a recurrent layer's output and final states). */
export interface MultiStep {
  outputs: number;
  /** `carry`: given only to a stateful step (below) when the run carries states. */
  run(inputs: Float32Array[], outputs: Float32Array[], carry?: StateCarry): void;
  /** True for a Keras `stateful=True` recurrent layer: its run can start from carried states. */
  stateful?: boolean;
}

/**
 * One stateful layer's states across runs (see Plan.run): `initial` the states to start from
 * (null: the zero state), and the step sets `final` to its final states (fresh arrays, each
 * [batch, units]: LSTM h, c; GRU / SimpleRNN h; a Bidirectional's forward ones, then backward).
 */
export interface StateCarry {
  initial: Float32Array[] | null;
  final?: Float32Array[];
}

/**
 * Either a computation, or 'alias': the output is the input's memory unchanged (Dropout,
 * Reshape...), or a computation of several outputs.
 */
export type CompiledNode = StepFn | 'alias' | MultiStep;

/** Per-graph store of float32/packed weights, keyed by node name and purpose. */
export type PackCache = Map<string, unknown>;

export interface CompileContext {
  graph: Graph;
  packCache: PackCache;
  /** The Conv1D implementation to use (the blocked kernel unless a test swaps it). */
  conv1d: Conv1DImpl<unknown>;
  /** The limits the plan is compiled under (working buffers within `maxBufferBytes`). */
  limits: Readonly<Limits>;
}

/** How one op compiles into a plan step, given its input shapes and its (inferred) output shape. */
export type NodeCompiler<K extends OpType> = (ctx: CompileContext, node: NodeOf<K>, inShapes: Shape[], outShape: Shape) => CompiledNode;

export function cached<T>(ctx: CompileContext, key: string, make: () => T): T {
  if (ctx.packCache.has(key)) return ctx.packCache.get(key) as T;
  const value = make();
  ctx.packCache.set(key, value);
  return value;
}

type AnyNode = { name: string; op: string; weights: Record<string, string> };

/** A weight as float32 (converted once per graph). */
export function weightF32(ctx: CompileContext, node: AnyNode, role: string): Float32Array {
  return cached(ctx, `${node.name}#f32:${role}`, () => {
    const key = node.weights[role];
    const t = key === undefined ? undefined : ctx.graph.weights.get(key);
    if (!t) throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (${node.op}): weight '${role}' is missing`, { where: `nodes/${node.name}/weights/${role}` });
    return toFloat32(t);
  });
}

export function optionalWeight(ctx: CompileContext, node: AnyNode, role: string, present: boolean): Float32Array | null {
  return present ? weightF32(ctx, node, role) : null;
}

/** Splits an activation into the part a kernel can fuse and a softmax applied afterwards. */
export function splitActivation(act: Activation): { fused: Activation; after: Activation | null } {
  return isElementwise(act) ? { fused: act, after: null } : { fused: LINEAR, after: act };
}

export function withSoftmax(step: StepFn, after: Activation | null, outShape: Shape): StepFn {
  if (!after) return step;
  return (inputs, output) => {
    step(inputs, output);
    applySoftmax(after, output, outShape);
  };
}

/** A step of a one-input kernel `run(input, output)`. */
export function unary(run: (input: Float32Array, output: Float32Array) => void): StepFn {
  return (inputs, output) => run(inputs[0], output);
}
