/**
 * Shape-rule helpers shared by the op modules. Dimensions may be unknown (null) before compile:
 * each helper keeps an unknown unknown and checks only what is known.
 */
import { resolvePadding } from '../padding.js';
import type { Layout, Padding } from './common.js';
import { fmt, nodeError } from './check.js';
import type { Dim, OpNode, SymShape } from './define.js';

type AnyNode = Pick<OpNode<unknown>, 'name' | 'op'>;

/** Normalizes an axis that may count from the end (-1 = last) for a tensor of `rank`. */
export function normalizeAxis(axis: number, rank: number, node: AnyNode, attribute: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw nodeError(node, attribute, `axis ${axis} is out of range for a rank-${rank} input`);
  }
  return a;
}

/** Steps and channels positions of a rank-3 tensor in `layout`. */
export function stepsAxis(layout: Layout): number {
  return layout === 'NWC' ? 1 : 2;
}
export function channelsAxis(layout: Layout): number {
  return layout === 'NWC' ? 2 : 1;
}

export function expectRank(node: AnyNode, shape: SymShape, rank: number, index = 0): void {
  if (shape.length !== rank) {
    throw nodeError(node, `inputs[${index}]`, `expected a rank-${rank} input (batch included), found shape ${fmt(shape)}`);
  }
}

export function expectInputs(node: AnyNode, shapes: SymShape[], count: number | 'atLeast2'): void {
  const ok = count === 'atLeast2' ? shapes.length >= 2 : shapes.length === count;
  if (!ok) {
    throw nodeError(node, 'inputs', `expected ${count === 'atLeast2' ? 'at least 2' : count} input(s), found ${shapes.length}`);
  }
}

/** The single input of a one-input op. */
export function oneInput(node: AnyNode, shapes: SymShape[]): SymShape {
  expectInputs(node, shapes, 1);
  return shapes[0];
}

/** [batch, steps, channels] whatever the layout. */
export function split3(node: AnyNode, shape: SymShape, layout: Layout): { batch: Dim; steps: Dim; channels: Dim } {
  expectRank(node, shape, 3);
  return { batch: shape[0], steps: shape[stepsAxis(layout)], channels: shape[channelsAxis(layout)] };
}

export function join3(layout: Layout, batch: Dim, steps: Dim, channels: Dim): SymShape {
  return layout === 'NWC' ? [batch, steps, channels] : [batch, channels, steps];
}

export function checkChannels(node: AnyNode, found: Dim, expected: number): void {
  if (found !== null && found !== expected) {
    throw nodeError(node, 'inChannels', `the node expects ${expected} input channels, the input has ${found}`);
  }
}

/** Output steps of a window sliding over `steps` (null when `steps` is unknown). */
export function windowOut(node: AnyNode, steps: Dim, k: number, s: number, d: number, padding: Padding): Dim {
  if (steps === null) return null;
  const { outLength } = resolvePadding(padding, steps, k, s, d);
  if (outLength <= 0) {
    const p = padding.kind === 'same' ? 'same' : padding.kind === 'theano-same' ? `theano-same(${padding.before})` : `explicit(${padding.before}, ${padding.after})`;
    throw nodeError(
      node,
      'padding',
      `an input of ${steps} steps with kernel ${k}, dilation ${d}, stride ${s} and padding ${p} gives ${outLength} output steps (needs at least ${d * (k - 1) + 1} padded steps)`,
    );
  }
  return outLength;
}

/** Product of dimensions, or null when one is unknown. */
export function product(dims: readonly Dim[]): Dim {
  let n = 1;
  for (const d of dims) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

/** Applies `f` to a dimension when it is known. */
export function mapDim(d: Dim, f: (n: number) => number): Dim {
  return d === null ? null : f(d);
}

/** Numpy-style broadcast of the shapes of a merge layer's inputs (an unknown dimension matches any). */
export function broadcast(node: AnyNode, shapes: SymShape[]): SymShape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: SymShape = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      // a missing leading axis broadcasts as 1; an unknown (null) one stays unknown (not `?? 1`)
      const j = s.length - rank + i;
      const d = j < 0 ? 1 : s[j];
      if (d === 1) continue;
      if (d === null) {
        if (dim === 1) dim = null;
        continue;
      }
      if (dim !== 1 && dim !== null && d !== dim) {
        throw nodeError(node, 'inputs', `shapes ${shapes.map(fmt).join(', ')} cannot be broadcast together`);
      }
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

/** The input shape unchanged (Dropout, activations, normalizations...). */
export function sameShape(node: AnyNode, inputs: SymShape[]): SymShape[] {
  return [[...oneInput(node, inputs)]];
}
