/**
 * What every op module exports: one `OpDef` holding the op's validation and shape rule (and,
 * for ops that can start a model, the input they imply). src/ir/ops/index.ts registers them.
 */
import type { Graph, KerasBag } from '../graph.js';
import type { InputAttrs } from './input.js';

/** A dimension: a number, or null for one unknown until compile (a `None` steps axis). */
export type Dim = number | null;

/** A shape with the batch axis first; dimensions may be unknown (null) before compile. */
export type SymShape = Dim[];

/** The parts of a node an op's rules read (a `NodeOf<K>` with K's attributes). */
export interface OpNode<A> {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: A;
  weights: Record<string, string>;
  keras?: KerasBag;
}

export interface OpDef<A> {
  /**
   * Checks the attributes and the weights against them, independent of input shapes; throws
   * INVALID_GRAPH (attribute) or BAD_WEIGHTS (weight role) naming the node.
   */
  validate(graph: Graph, node: OpNode<A>): void;
  /**
   * Output shapes from input shapes. Inputs may hold unknown (null) dimensions when shapes are
   * inferred before compile; a rule then returns null where the output depends on them, and
   * checks only what is known. With every input dimension known (compile), every output
   * dimension is known. Throws INVALID_GRAPH / BAD_INPUT on shapes the op cannot take.
   */
  shapes(node: OpNode<A>, inputs: SymShape[]): SymShape[];
  /**
   * The model input a node of this op implies when it comes first and the file records no input
   * shape (a Keras 1/2 Sequential without `batch_input_shape`): from the attributes its weights
   * fixed. Absent when the op cannot tell.
   */
  impliedInput?(attrs: A): InputAttrs;
}
