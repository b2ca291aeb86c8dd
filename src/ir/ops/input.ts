/** Input: a model input. Its value is bound, not computed. */
import { KconvError } from '../../errors.js';
import type { DType } from '../../tensor.js';
import { fmt, nodeError, noExtraWeights, nonNegativeInt, positiveInt } from './check.js';
import type { OpDef } from './define.js';
import { oneInput } from './dims.js';

export interface InputAttrs {
  /** Shape without the batch axis; null for a dimension unknown until run time (e.g. steps). */
  shape: (number | null)[];
  /** Fixed batch size when the model declares one, else null. */
  batchSize: number | null;
  dtype: DType;
}

export const Input: OpDef<InputAttrs> = {
  validate(_graph, node) {
    const a = node.attrs;
    if (!Array.isArray(a.shape)) throw nodeError(node, 'shape', `expected an array, found ${JSON.stringify(a.shape)}`);
    a.shape.forEach((d, i) => d === null || nonNegativeInt(node, `shape[${i}]`, d));
    if (a.batchSize !== null) positiveInt(node, 'batchSize', a.batchSize);
    noExtraWeights(node, []);
  },
  /** The input is the shape given for the model input (unknown dimensions stay unknown). */
  shapes(node, inputs) {
    const a = node.attrs;
    const given = oneInput(node, inputs);
    const declared = `[batch, ${a.shape.map((x) => x ?? 'any').join(', ')}]`;
    if (given.length !== a.shape.length + 1) {
      throw new KconvError('BAD_INPUT', `input '${node.name}' expects rank ${a.shape.length + 1} (batch, ${a.shape.map((d) => d ?? 'any').join(', ')}), found shape ${fmt(given)}`);
    }
    a.shape.forEach((d, i) => {
      if (d !== null && given[i + 1] !== null && d !== given[i + 1]) {
        throw new KconvError('BAD_INPUT', `input '${node.name}' expects shape ${declared}, found ${fmt(given)} (axis ${i + 1})`);
      }
    });
    if (a.batchSize !== null && given[0] !== null && given[0] !== a.batchSize) {
      throw new KconvError('BAD_INPUT', `input '${node.name}' has a fixed batch size ${a.batchSize}, found ${given[0]}`);
    }
    if (given.some((d) => d !== null && (!Number.isInteger(d) || d < 0))) {
      throw new KconvError('BAD_INPUT', `input '${node.name}': shape ${fmt(given)} has a negative or non-integer dimension`);
    }
    // A declared dimension fills in one the caller left unknown.
    return [given.map((d, i) => (d === null ? (i === 0 ? a.batchSize : a.shape[i - 1]) : d))];
  },
};
