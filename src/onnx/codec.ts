/**
 * The ONNX codec of one IR op: how a node becomes ONNX nodes. Codecs live in src/onnx/ops, one file
 * per op family, and are registered by IR op name in src/onnx/ops/index.ts.
 */
import type { NodeOf } from '../ir/graph.js';
import type { OpType } from '../ir/ops/index.js';
import type { OnnxEmitter } from './emitter.js';

export interface OnnxCodec<K extends OpType> {
  /** Emits the node's ONNX nodes and defines its output values in the emitter. */
  emit(node: NodeOf<K>, e: OnnxEmitter): void;
  /**
   * Weights of the op that inference never reads, by role, with the reason: the writer leaves
   * them out of the file instead of refusing (every other weight must be written).
   */
  unusedWeights?: Record<string, string>;
}

/** An op ONNX export refuses as a whole, with the reason. */
export interface OnnxRefusal {
  refuse: string;
}

export type OnnxCodecTable = { [K in OpType]: OnnxCodec<K> | OnnxRefusal };

/** A node of any of the ops `K` (distributes over the union, unlike NodeOf<K>). */
export type NodeOfAny<K extends OpType> = K extends OpType ? NodeOf<K> : never;
