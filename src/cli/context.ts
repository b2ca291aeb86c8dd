/**
 * What every command shares: the global flags, where output goes, and the exit codes.
 *
 * Exit codes (documented in the README):
 *   0  success
 *   1  a check failed (`verify` found a failing case, `run --expected` found a mismatch)
 *   2  usage or input error (bad flags, unreadable or unsupported file, bad model...)
 */
import { KconvError, tolerance, type Limits, type Tolerance } from '../index.js';
import { createProgress, type Progress } from './progress.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_ERROR = 2;

export interface GlobalFlags {
  backend?: 'tensorflow' | 'theano';
  quiet: boolean;
  json: boolean;
  debug: boolean;
  /** From `--max-memory`: the load limits (tensor data and working buffers). */
  limits?: Partial<Limits>;
  /** From `--input-node`: the placeholder that is a TF1 checkpoint's model input. */
  inputNode?: string;
}

/**
 * `--max-memory <MB>`: at most that many megabytes (MiB) of tensor data per model
 * (`maxTotalBytes`: weights, and weights plus a plan's values when running), of one tensor (`maxTensorBytes`) and of one working buffer when running
 * (`maxBufferBytes`). Absent: kconv's defaults.
 */
export function limitsFromMaxMemory(megabytes: unknown): Partial<Limits> | undefined {
  if (megabytes === undefined) return undefined;
  const mb = typeof megabytes === 'string' && megabytes.trim() !== '' ? Number(megabytes) : typeof megabytes === 'number' ? megabytes : NaN;
  if (!(mb > 0) || !Number.isFinite(mb)) {
    throw new KconvError('USAGE', `--max-memory takes a positive number of megabytes (e.g. 512 or 0.5), got '${String(megabytes)}'`);
  }
  const bytes = Math.floor(mb * 1024 ** 2);
  return { maxTotalBytes: bytes, maxTensorBytes: bytes, maxBufferBytes: bytes };
}

/**
 * Library messages name API options (they are read by programs too); on the command line the
 * same thing is a flag. One table turns the first into the second for everything the CLI prints.
 */
const OPTION_FLAGS: [RegExp, string][] = [
  [/\blimits\.max(?:Total|Tensor|Buffer)Bytes\b/g, '--max-memory'],
  [/\bthe `?backend`? option\b/g, '--backend'],
  [/\bthe `?architecture`? option\b/g, '--architecture'],
  [/\bthe `?force`? option\b/g, '--force'],
  [/\bthe `?targetVersion`? option\b/g, '--target-version'],
];

export function forCli(message: string): string {
  return OPTION_FLAGS.reduce((m, [pattern, flag]) => m.replace(pattern, flag), message);
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export class Context {
  constructor(
    readonly flags: GlobalFlags,
    readonly io: Io,
  ) {}

  /** Prints a line of the command's result to stdout. */
  out(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** Prints a JSON document to stdout (the `--json` output). */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Informational message on stderr, silenced by --quiet. */
  info(text: string): void {
    if (!this.flags.quiet) this.io.stderr.write(`${text}\n`);
  }

  /** Warning on stderr, silenced by --quiet. */
  warn(text: string): void {
    if (!this.flags.quiet) this.io.stderr.write(`warning: ${forCli(text)}\n`);
  }

  /** The options every command's `loadFile` takes from the global flags. */
  loadOptions(): { backend?: 'tensorflow' | 'theano'; limits?: Partial<Limits>; inputNode?: string } {
    return { backend: this.flags.backend, limits: this.flags.limits, ...(this.flags.inputNode !== undefined ? { inputNode: this.flags.inputNode } : {}) };
  }

  progress(total: number, title: string): Progress {
    return createProgress(total, title, this.io.stderr, !this.flags.quiet);
  }
}

/** A tolerance named on the command line; an unknown name is a usage error. */
export function parseTolerance(name: string): Tolerance {
  try {
    return tolerance(name);
  } catch (e) {
    throw new KconvError('USAGE', (e as Error).message);
  }
}
