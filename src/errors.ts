/**
 * The one error type kconv throws for anything a user can cause: bad files, unsupported models,
 * bad arguments. Each error has a stable `code` (part of the public API: scripts may switch on it),
 * a message saying what was expected and what was found, and, when the problem sits inside a file,
 * the `where` path inside that file (e.g. `model_weights/conv1d/conv1d/kernel:0`).
 */

/** Every error code kconv can produce, with what it means and what the user can do about it. */
export const ERROR_CODES = {
  CORRUPT_FILE: 'The file is damaged or truncated: its bytes do not follow the format it claims. Re-export or re-download it.',
  UNSUPPORTED_FORMAT: 'The bytes are not a format kconv reads (or a version of one it does not). Check the file type; see the README for the list.',
  BAD_CONFIG: 'The model configuration is malformed or contradicts itself (wrong types, missing keys, impossible values). Fix the config or re-save the model.',
  BAD_WEIGHTS: 'A weight is missing, extra, or has a shape or dtype that contradicts the layer config. Check that the weights belong to this architecture.',
  UNSUPPORTED_LAYER: 'The model contains a layer kconv cannot run (custom class, Lambda, ...). Loading and reading weights still work; running does not.',
  UNSUPPORTED_FEATURE: 'A layer option or file feature kconv does not implement. The message names it.',
  INVALID_GRAPH: 'An IR node has an invalid attribute (zero sizes, groups not dividing channels, negative output length...).',
  BAD_INPUT: 'An input given to run/predict does not match the model (count, shape, dtype).',
  CHECKSUM_MISMATCH: 'Stored data does not match its checksum: the file was corrupted after it was written.',
  NOT_REPRESENTABLE: 'The conversion target cannot express this model (the message names the layer, the feature, and the oldest target that can).',
  LIMIT_EXCEEDED: 'The file declares sizes beyond kconv\'s safety limits (allocation, decompression ratio, nesting). Raise the limit only for files you trust.',
  OUTPUT_EXISTS: 'The output file already exists (or is the input). Pass --force to overwrite an existing output; the input is never overwritten.',
  IO_ERROR: 'A file could not be read or written.',
  USAGE: 'The command line or API call is malformed.',
  DISPOSED: 'The model or plan was disposed (dispose() freed its memory), so it cannot run any more. Load the model (or compile the graph) again.',
} as const;

export type KconvErrorCode = keyof typeof ERROR_CODES;

export interface KconvErrorOptions {
  /** Path inside the file where the problem is, e.g. `model_weights/conv1d/conv1d/kernel:0`. */
  where?: string;
  /** The file (name or path) being read, when known. */
  file?: string;
  cause?: unknown;
}

export class KconvError extends Error {
  readonly code: KconvErrorCode;
  readonly where?: string;
  readonly file?: string;

  constructor(code: KconvErrorCode, message: string, options: KconvErrorOptions = {}) {
    const location = [options.file, options.where].filter(Boolean).join(': ');
    super(location ? `${message} (at ${location})` : message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KconvError';
    this.code = code;
    this.where = options.where;
    this.file = options.file;
  }
}

export function isKconvError(e: unknown): e is KconvError {
  return e instanceof KconvError;
}
