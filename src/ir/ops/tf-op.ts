/**
 * TfOp: a TensorFlow op recorded by tf.keras 2.4-2.15 as a TFOpLambda / SlicingOpLambda layer
 * (`tf.math.add`, `tf.reshape`, `x[:, -1]`, ...). `function` is the recorded name (under `tf.`),
 * `spec` what it computes (src/ir/tf-op.ts: the op kinds, their arguments and constants, and
 * the shape rule). Axes count the batch axis. No weights.
 */
import { tfOpShape, type TfOpSpec } from '../tf-op.js';
import { nodeError, noExtraWeights } from './check.js';
import type { OpDef } from './define.js';

export interface TfOpAttrs {
  function: string;
  spec: TfOpSpec;
}

const KINDS = ['unary', 'leaky_relu', 'binary', 'cast', 'reduce', 'softmax', 'reshape', 'expand_dims', 'squeeze', 'transpose', 'concat', 'stack', 'matmul', 'getitem'];

export const TfOp: OpDef<TfOpAttrs> = {
  validate(_graph, node) {
    const { spec } = node.attrs;
    if (typeof node.attrs.function !== 'string') throw nodeError(node, 'function', `expected the TensorFlow function name, found ${JSON.stringify(node.attrs.function)}`);
    if (!spec || !KINDS.includes(spec.kind)) throw nodeError(node, 'spec.kind', `expected one of ${KINDS.join(', ')}, found ${JSON.stringify(spec?.kind)}`);
    if (spec.kind === 'binary') {
      for (const o of [spec.a, spec.b]) {
        if ('input' in o && (!Number.isInteger(o.input) || o.input < 0 || o.input >= node.inputs.length)) throw nodeError(node, 'spec', `operand input ${o.input} is not one of the node's ${node.inputs.length} inputs`);
        if ('constant' in o && o.constant.length !== o.shape.reduce((p, d) => p * d, 1)) throw nodeError(node, 'spec', `a constant of shape [${o.shape}] holds ${o.constant.length} values`);
      }
    }
    noExtraWeights(node, []);
  },
  shapes(node, inputs) {
    try {
      return [tfOpShape(node.attrs.spec, inputs)];
    } catch (e) {
      if (e instanceof RangeError) throw nodeError(node, 'spec', `tf.${node.attrs.function}: ${e.message}`);
      throw e;
    }
  },
};
