/**
 * Typed reads of values inside a Keras config object, each failing with BAD_CONFIG at the
 * config path (`model_config: layers[2] "conv1d".kernel_size`) and saying what it expected.
 */
import { KconvError } from '../errors.js';

export type Config = Record<string, unknown>;

export function isObject(v: unknown): v is Config {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * tf.keras 2.12's `.keras` writer (serialization_lib) stores a NumPy scalar held by a layer as
 * {"class_name": "__numpy__", "config": {"value": 0.0, "dtype": "float32"}} (a ReLU's
 * negative_slope, seen in files written by real tf.keras 2.12.0): its value.
 */
function numpyScalar(v: unknown): unknown {
  if (isObject(v) && v.class_name === '__numpy__' && isObject(v.config) && typeof v.config.value === 'number') return v.config.value;
  return v;
}

export class ConfigReader {
  constructor(
    readonly config: Config,
    /** Where this config sits, for error messages. */
    readonly where: string,
  ) {}

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  fail(key: string, expected: string): never {
    throw new KconvError('BAD_CONFIG', `'${key}': expected ${expected}, found ${JSON.stringify(this.config[key])?.slice(0, 100)}`, { where: `${this.where}.${key}` });
  }

  /** The first of `keys` that is present (Keras renamed keys across versions). */
  pick(...keys: string[]): string | undefined {
    return keys.find((k) => this.has(k));
  }

  /** An integer, also accepting a one-element list (`kernel_size: [3]`). */
  int(key: string, fallback?: number): number {
    let v = numpyScalar(this.config[key]);
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'an integer');
    }
    if (Array.isArray(v) && v.length === 1) v = v[0];
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(key, 'an integer (or a one-element list)');
    return v;
  }

  number(key: string, fallback?: number): number {
    const v = numpyScalar(this.config[key]);
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'a number');
    }
    if (typeof v !== 'number') this.fail(key, 'a number');
    return v;
  }

  optionalNumber(key: string): number | null {
    const v = numpyScalar(this.config[key]);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number') this.fail(key, 'a number or null');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  string(key: string, fallback?: string): string {
    const v = this.config[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(key, 'a string');
    }
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const v = this.string(key, fallback);
    const lower = v.toLowerCase() as T;
    if (!allowed.includes(lower)) this.fail(key, `one of ${allowed.join(', ')}`);
    return lower;
  }

  intList(key: string): number[] {
    const v = this.config[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) this.fail(key, 'a list of integers');
    return v as number[];
  }

  /** An integer pair given as `n` (both sides) or `[before, after]`. */
  pair(key: string, fallback: number): [number, number] {
    const v = this.config[key];
    if (v === undefined || v === null) return [fallback, fallback];
    if (typeof v === 'number' && Number.isInteger(v)) return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return [v[0], v[1]];
    if (Array.isArray(v) && v.length === 1 && Number.isInteger(v[0])) return [v[0], v[0]];
    this.fail(key, 'an integer or a pair [before, after]');
  }

  /** An axis: an integer or a one-element list of one. */
  axis(key: string, fallback: number): number {
    return this.int(key, fallback);
  }

  /** A list of axes: an integer or a list of integers. */
  axes(key: string, fallback: number[]): number[] {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'number' && Number.isInteger(v)) return [v];
    return this.intList(key);
  }
}
