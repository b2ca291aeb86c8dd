/** Validation helpers shared by the op modules: attribute checks and weight checks. */
import { KconvError } from '../../errors.js';
import type { Graph } from '../graph.js';
import type { Tensor } from '../../tensor.js';
import { ACTIVATION_FNS, type Activation, type Layout, type Padding, type WindowAttrs } from './common.js';
import type { OpNode } from './define.js';

type AnyNode = Pick<OpNode<unknown>, 'name' | 'op'>;

/** An INVALID_GRAPH error that names the node, its op and the offending attribute. */
export function nodeError(node: AnyNode, attribute: string, message: string): KconvError {
  return new KconvError('INVALID_GRAPH', `node '${node.name}' (${node.op}): ${attribute}: ${message}`, {
    where: `nodes/${node.name}/attrs/${attribute}`,
  });
}

const FLOAT_DTYPES = new Set(['float16', 'bfloat16', 'float32', 'float64']);

/**
 * Largest size attribute (kernel size, stride, dilation, filters, padding, ...) a graph may hold.
 * The WebAssembly kernels take these as 32-bit integers, so a larger value would wrap there (a
 * stride of 2**32 becomes 0 and the kernel divides by it); no real model comes near it.
 */
export const MAX_SIZE_ATTR = 2 ** 31 - 1;

export function positiveInt(node: AnyNode, attr: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > MAX_SIZE_ATTR) {
    throw nodeError(node, attr, `expected a positive integer up to ${MAX_SIZE_ATTR}, found ${JSON.stringify(v)}`);
  }
}

export function nonNegativeInt(node: AnyNode, attr: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SIZE_ATTR) {
    throw nodeError(node, attr, `expected a non-negative integer up to ${MAX_SIZE_ATTR}, found ${JSON.stringify(v)}`);
  }
}

export function isInt(node: AnyNode, attr: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw nodeError(node, attr, `expected an integer, found ${JSON.stringify(v)}`);
}

export function bool(node: AnyNode, attr: string, v: unknown): void {
  if (typeof v !== 'boolean') throw nodeError(node, attr, `expected true or false, found ${JSON.stringify(v)}`);
}

export function finite(node: AnyNode, attr: string, v: unknown, min = -Infinity): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw nodeError(node, attr, `expected a finite number${min > -Infinity ? ` ≥ ${min}` : ''}, found ${JSON.stringify(v)}`);
  }
}

export function layout(node: AnyNode, v: Layout): void {
  if (v !== 'NWC' && v !== 'NCW') throw nodeError(node, 'layout', `expected 'NWC' or 'NCW', found ${JSON.stringify(v)}`);
}

export function padding(node: AnyNode, p: Padding): void {
  if (p && p.kind === 'same') return;
  if (p && p.kind === 'theano-same') {
    nonNegativeInt(node, 'padding.before', p.before);
    return;
  }
  if (p && p.kind === 'explicit') {
    nonNegativeInt(node, 'padding.before', p.before);
    nonNegativeInt(node, 'padding.after', p.after);
    return;
  }
  throw nodeError(node, 'padding', `expected {kind: 'same'}, {kind: 'explicit', before, after} or {kind: 'theano-same', before}, found ${JSON.stringify(p)}`);
}

export function activation(node: AnyNode, a: Activation, attr = 'activation'): void {
  if (!a || !ACTIVATION_FNS.includes(a.fn)) {
    throw nodeError(node, `${attr}.fn`, `unknown activation ${JSON.stringify(a?.fn)}`);
  }
  if (a.alpha !== undefined) finite(node, `${attr}.alpha`, a.alpha);
  if (a.threshold !== undefined) finite(node, `${attr}.threshold`, a.threshold);
  if (a.maxValue !== undefined && a.maxValue !== null) finite(node, `${attr}.maxValue`, a.maxValue);
  if (a.axis !== undefined) isInt(node, `${attr}.axis`, a.axis);
  // glu changes the shape (half the last axis): kconv runs it as an Activation layer only
  if (a.fn === 'glu' && node.op !== 'Activation') throw nodeError(node, `${attr}.fn`, "glu as a layer's own activation is not implemented (it halves the output channels); use an Activation('glu') layer");
}

export function window(node: AnyNode, a: WindowAttrs): void {
  positiveInt(node, 'kernelSize', a.kernelSize);
  positiveInt(node, 'stride', a.stride);
  positiveInt(node, 'dilation', a.dilation);
  padding(node, a.padding);
  layout(node, a.layout);
}

export function fmt(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Checks that weight `role` exists (when `required`) with exactly `shape` and a usable dtype. */
export function weight(graph: Graph, node: OpNode<unknown>, role: string, shape: number[] | null, required = true): Tensor | undefined {
  const key = node.weights[role];
  if (key === undefined) {
    if (required) {
      throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (${node.op}): weight '${role}' is missing`, { where: `nodes/${node.name}/weights/${role}` });
    }
    return undefined;
  }
  const t = graph.weights.get(key);
  if (!t) {
    throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (${node.op}): weight '${role}' refers to '${key}', which is not in the weight table`, { where: `nodes/${node.name}/weights/${role}` });
  }
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (${node.op}): weight '${role}' should have shape ${fmt(shape)} from the attributes, found ${fmt(t.shape)}`, { where: `nodes/${node.name}/weights/${role}` });
  }
  if (!FLOAT_DTYPES.has(t.dtype)) {
    throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (${node.op}): weight '${role}' has dtype ${t.dtype}, expected a float type`, { where: `nodes/${node.name}/weights/${role}` });
  }
  return t;
}

export function noExtraWeights(node: OpNode<unknown>, allowed: string[]): void {
  for (const role of Object.keys(node.weights)) {
    if (!allowed.includes(role)) {
      throw new KconvError('BAD_WEIGHTS', `node '${node.name}' (${node.op}): unexpected weight '${role}' (expected ${allowed.length ? allowed.join(', ') : 'none'})`, { where: `nodes/${node.name}/weights/${role}` });
    }
  }
}

/** An op without attributes to check and without weights. */
export function noWeights(_graph: Graph, node: OpNode<unknown>): void {
  noExtraWeights(node, []);
}
