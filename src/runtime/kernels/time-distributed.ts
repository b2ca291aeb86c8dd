/**
 * TimeDistributed: the inner op's own kernel, compiled for [batch · steps, ...rest]: the wrapped
 * input is the same memory with batch and steps folded, so the step runs unchanged.
 */
import type { Node } from '../../ir/graph.js';
import type { OpType } from '../../ir/ops/index.js';
import { innerNode } from '../../ir/ops/time-distributed.js';
import type { NodeCompiler } from '../step.js';

export function timeDistributedCompiler(kernels: { [K in OpType]: NodeCompiler<K> }): NodeCompiler<'TimeDistributed'> {
  return (ctx, node, [inShape], outShape) => {
    const [batch, steps, ...rest] = inShape;
    const inner = innerNode(node) as Node;
    const compile = kernels[inner.op] as NodeCompiler<OpType>;
    return compile(ctx, inner as never, [[batch * steps, ...rest]], [batch * steps, ...outShape.slice(2)]);
  };
}
