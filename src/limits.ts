/**
 * kconv's safety limits, in one place. Model files come from strangers: every size a file
 * declares is checked against these caps (and against the bytes that can back it) before
 * anything is allocated, and config JSON is parsed so that it can neither nest deeply enough to
 * overflow the stack nor reach `Object.prototype`.
 *
 * The defaults fit every real Keras Conv1D model we know of with a wide margin. A caller that
 * trusts its files can raise them through `load(bytes, { limits: {...} })` (and the CLI's
 * `--max-memory <MB>`); exceeding one is a `LIMIT_EXCEEDED` KconvError whose message names the
 * limit (`limits.maxTotalBytes`, ...).
 */
import { KconvError, type KconvErrorCode } from './errors.js';

export interface Limits {
  /** Most bytes of tensor data one load may allocate in total: all weights together, and with the values of each plan compiled to run it. */
  maxTotalBytes: number;
  /** Most bytes a single tensor may declare. */
  maxTensorBytes: number;
  /**
   * Largest ratio of produced bytes to stored bytes: a zip entry's declared size to its
   * compressed size, or a tensor's size to the size of the file holding it.
   */
  maxDecompressionRatio: number;
  /** Deepest nesting of arrays/objects in config JSON. */
  maxNestingDepth: number;
  /** Longest single string value in config JSON (characters). */
  maxStringLength: number;
  /** Most dimensions a tensor may have. */
  maxRank: number;
  /** Largest single working buffer the runtime may allocate (activations, scratch), in bytes. */
  maxBufferBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxTotalBytes: 4 * 1024 ** 3,
  maxTensorBytes: 2 * 1024 ** 3,
  maxDecompressionRatio: 1000,
  maxNestingDepth: 200,
  maxStringLength: 64 * 1024 ** 2,
  maxRank: 8,
  maxBufferBytes: 512 * 1024 ** 2,
});

/** The defaults overridden by `partial`; refuses values that are not positive numbers (USAGE). */
export function resolveLimits(partial?: Partial<Limits>): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(partial ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, key)) {
      throw new KconvError('USAGE', `unknown limit '${key}' (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) throw new KconvError('USAGE', `limit '${key}' must be a positive number, got ${String(value)}`);
    limits[key as keyof Limits] = value;
  }
  return limits;
}

/**
 * Checks a declared tensor size before allocating it: against the per-tensor cap, against the
 * bytes that can back it (`backingBytes` × the decompression ratio; pass the stored size for
 * uncompressed data, where the ratio is then generous), and against the running total `budget`.
 */
export function checkTensorBytes(declared: number, backingBytes: number, limits: Limits, where: string, file?: string, budget?: { used: number }): void {
  const fail = (message: string) => new KconvError('LIMIT_EXCEEDED', message, { where, file });
  if (!Number.isSafeInteger(declared) || declared < 0) throw fail(`a tensor declares ${declared} bytes`);
  if (declared > limits.maxTensorBytes) throw fail(`a tensor of ${declared} bytes exceeds the limit of ${limits.maxTensorBytes} bytes (limits.maxTensorBytes)`);
  if (declared > Math.max(backingBytes, 1) * limits.maxDecompressionRatio && declared > 64 * 1024) {
    throw fail(`a tensor declares ${declared} bytes but only ${backingBytes} stored bytes can back it (ratio over limits.maxDecompressionRatio = ${limits.maxDecompressionRatio})`);
  }
  if (budget) {
    if (budget.used + declared > limits.maxTotalBytes) throw fail(`reading ${declared} more bytes would exceed the total of ${limits.maxTotalBytes} bytes (limits.maxTotalBytes)`);
    budget.used += declared;
  }
}

/**
 * One load's limits and the tensor bytes it has allocated so far. `load()` makes one and hands it
 * to every reader, so that `maxTotalBytes` caps all the tensors of a model together, whichever
 * file (HDF5 dataset, checkpoint shard, .kir blob, .npz member) they come from.
 */
export class TensorBudget {
  /** Bytes of tensor data allocated so far. */
  used = 0;

  constructor(readonly limits: Limits = DEFAULT_LIMITS) {}

  /**
   * `checkTensorBytes` against this load's limits and running total: call it with a tensor's
   * declared size BEFORE allocating it. Counts the bytes as used when they pass.
   */
  check(declared: number, backingBytes: number, where: string, file?: string): void {
    checkTensorBytes(declared, backingBytes, this.limits, where, file, this);
  }
}

/**
 * Checks the element count of a runtime buffer before it is allocated: attributes read from a
 * file (a stride of 2^31, an upsampling factor of 10^9) can otherwise ask for terabytes.
 */
export function checkBufferElements(elements: number, bytesPerElement: number, what: string, limits: Limits = DEFAULT_LIMITS): number {
  if (!Number.isSafeInteger(elements) || elements < 0 || elements * bytesPerElement > limits.maxBufferBytes) {
    throw new KconvError('LIMIT_EXCEEDED', `${what} would need ${elements} elements (${elements * bytesPerElement} bytes), over limits.maxBufferBytes = ${limits.maxBufferBytes}`);
  }
  return elements;
}

/** Keys that would reach an object's prototype when a parsed config is merged or assigned. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface ParseJsonOptions {
  /** Where the JSON sits (e.g. `/@model_config`, `config.json`). */
  where: string;
  file?: string;
  /** Code for text that is not JSON (BAD_CONFIG for configs, CORRUPT_FILE for container metadata). */
  code?: KconvErrorCode;
  limits?: Limits;
  /** A further reviver (applied after the prototype keys are dropped). */
  reviver?: (key: string, value: unknown) => unknown;
}

/**
 * `JSON.parse` for text from a model file:
 * - nesting deeper than `maxNestingDepth` is refused before parsing (LIMIT_EXCEEDED): later
 *   recursive walks of a 100 000-deep document would overflow the stack;
 * - `__proto__`, `constructor` and `prototype` keys are dropped (no Keras config uses them), so
 *   nothing downstream can pollute prototypes by merging or assigning the parsed objects;
 * - strings longer than `maxStringLength` are refused (LIMIT_EXCEEDED).
 */
export function parseJsonSafely(text: string, options: ParseJsonOptions): unknown {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const { where, file } = options;
  const depth = maxNesting(text, limits.maxNestingDepth);
  if (depth > limits.maxNestingDepth) {
    throw new KconvError('LIMIT_EXCEEDED', `JSON nests deeper than ${limits.maxNestingDepth} levels (limits.maxNestingDepth)`, { where, file });
  }
  const extra = options.reviver;
  try {
    return JSON.parse(text.replace(/^\ufeff/, ''), function (key, value) {
      if (PROTOTYPE_KEYS.has(key) && !Array.isArray(this)) return undefined;
      if (typeof value === 'string' && value.length > limits.maxStringLength) {
        throw new KconvError('LIMIT_EXCEEDED', `a JSON string of ${value.length} characters exceeds limits.maxStringLength = ${limits.maxStringLength}`, { where, file });
      }
      return extra ? extra.call(this, key, value) : value;
    });
  } catch (e) {
    if (e instanceof KconvError) throw e;
    throw new KconvError(options.code ?? 'BAD_CONFIG', `expected JSON, found text that does not parse (${e instanceof Error ? e.message : String(e)}): ${JSON.stringify(text.slice(0, 60))}`, {
      where,
      file,
      cause: e,
    });
  }
}

/** Deepest bracket nesting outside strings, stopping early once past `stopAbove`. */
function maxNesting(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
