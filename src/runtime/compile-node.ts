/**
 * One IR node → one executable step, by the op's compiler in the kernel registry
 * (src/runtime/kernels/index.ts).
 */
import type { Node } from '../ir/graph.js';
import type { Shape } from '../ir/shapes.js';
import { KERNELS } from './kernels/index.js';
import type { CompileContext, CompiledNode, NodeCompiler } from './step.js';

export type { CompileContext, CompiledNode, MultiStep, PackCache, StateCarry, StepFn } from './step.js';

export function compileNode(ctx: CompileContext, node: Node, inShapes: Shape[], outShape: Shape): CompiledNode {
  const compiler = KERNELS[node.op] as NodeCompiler<Node['op']>;
  return compiler(ctx, node, inShapes, outShape);
}
