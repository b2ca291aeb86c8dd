/**
 * Random inputs for a model, from the shapes it declares: what `kconv run --random` and the demo
 * page feed a model when the user has no data at hand. Float inputs are seeded standard normal
 * values; an input that feeds an Embedding gets integers inside the Embedding's vocabulary (a
 * float, or an index past the vocabulary, would make the numbers meaningless).
 */
import { KconvError } from '../errors.js';
import { numElements, type Tensor } from '../tensor.js';
import type { Model } from './model.js';

export interface RandomInputOptions {
  /** Length of every open (unknown until run time) axis after the batch axis, e.g. the steps axis. */
  length?: number;
  /** Batch size (default 1). */
  batch?: number;
  /** Seed of the generator (default 42): the same seed gives the same inputs. */
  seed?: number;
}

/** A seeded uniform generator on [0, 1) (mulberry32): small, fast and the same everywhere. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new KconvError('USAGE', `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * One random tensor per model input, in model input order. Throws USAGE when an input has an
 * open axis and no `length` is given, or when its shape is unknown.
 */
export function randomInputs(model: Model, options: RandomInputOptions = {}): Tensor[] {
  const batch = positiveInteger(options.batch, 'batch', 1);
  const length = options.length === undefined ? undefined : positiveInteger(options.length, 'length', 1);
  const uniform = seededUniform(options.seed ?? 42);
  // Box-Muller: two uniforms give one standard normal value.
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return model.inspect().inputs.map((input) => {
    if (!input.shape) throw new KconvError('USAGE', `the shape of input '${input.name}' is unknown, so random values cannot be made for it`);
    const shape = input.shape.map((d, i) => {
      if (i === 0) return batch;
      if (d !== null) return d;
      if (length === undefined) {
        throw new KconvError('USAGE', `input '${input.name}' has an open axis (shape (${input.shape!.map((x) => x ?? 'None').join(', ')})): give the length to use for it`);
      }
      return length;
    });
    const n = numElements(shape);
    if (input.indexRange) {
      const [low, high] = input.indexRange;
      return { dtype: 'int32', shape, data: Int32Array.from({ length: n }, () => low + Math.floor(uniform() * (high - low + 1))) };
    }
    return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, normal) };
  });
}
