/**
 * TimeDistributed: an inner op applied to every step of the steps axis (axis 1) independently.
 * The inner op sees [batch · steps, ...rest] (the same memory, since steps follow batch), so any
 * registered op can be wrapped. Attributes: the inner op and its attributes; weights: the inner
 * op's roles.
 */
import type { Graph } from '../graph.js';
import { nodeError } from './check.js';
import type { OpDef, OpNode, SymShape } from './define.js';

export interface TimeDistributedAttrs {
  inner: { op: string; attrs: unknown };
}

/** The inner op as a node of its own (same name, inputs, outputs and weights). */
export function innerNode(node: OpNode<TimeDistributedAttrs>): OpNode<unknown> {
  return { ...node, op: node.attrs.inner.op, attrs: node.attrs.inner.attrs };
}

/** Set by index.ts (the registry imports this module): the inner op's definition. */
let lookup: (op: string) => OpDef<unknown> | undefined = () => undefined;
export function setInnerOpLookup(f: (op: string) => OpDef<unknown> | undefined): void {
  lookup = f;
}

function innerDef(node: OpNode<TimeDistributedAttrs>): OpDef<unknown> {
  const def = lookup(node.attrs.inner?.op);
  if (!def || node.attrs.inner.op === 'TimeDistributed') throw nodeError(node, 'inner.op', `expected an op to apply per step, found ${JSON.stringify(node.attrs.inner?.op)}`);
  return def;
}

export const TimeDistributed: OpDef<TimeDistributedAttrs> = {
  validate(graph: Graph, node) {
    innerDef(node).validate(graph, innerNode(node));
  },
  shapes(node, inputs) {
    const s = inputs[0];
    if (!s || s.length < 3) throw nodeError(node, 'inputs[0]', `expected [batch, steps, ...], found ${s ? `[${s.join(', ')}]` : 'nothing'}`);
    const [batch, steps, ...rest] = s;
    const folded: SymShape = [batch === null || steps === null ? null : batch * steps, ...rest];
    return innerDef(node)
      .shapes(innerNode(node), [folded])
      .map((out) => [batch, steps, ...out.slice(1)]);
  },
};
