/**
 * Node conveniences on top of the isomorphic API (`kconv/node`): load a model from a path
 * (including a TensorFlow checkpoint prefix or directory), read/write `.npy` files, and write
 * outputs safely (never half-written, never over the input, never over an existing file unless
 * forced). The CLI is built on these.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KconvError } from './errors.js';
import { load, type LoadOptions } from './api/load.js';
import type { Model } from './api/model.js';
import { isNpy, readNpy, writeNpy } from './formats/npy.js';
import { tensorFromJson, tensorToJson } from './api/json-tensor.js';
import { parseJsonSafely, DEFAULT_LIMITS } from './limits.js';
import { sniffFormat } from './formats/sniff.js';
import { resolveCheckpoint } from './node/checkpoint-files.js';
import { writeFileSafely, type WriteFileOptions } from './node/write-file.js';
import type { Tensor } from './tensor.js';
import { useThreads } from './runtime/threads/index.js';
import * as zlib from 'node:zlib';
import { useNativeCrc32 } from './formats/zip.js';

// In Node, Conv1D runs on the WASM SIMD kernel split over worker threads (one per core, the
// caller included); browsers keep the single-thread kernel. The pool starts on the first Conv1D
// compile, its idle workers never keep the process alive, and small problems stay on the caller.
useThreads();

// zlib's CRC-32 (Node ≥ 20.15) checks .keras members at twice the speed of the JS one.
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
if (typeof zlibCrc32 === 'function') useNativeCrc32((data) => zlibCrc32(data) >>> 0);

export * from './index.js';
export { resolveCheckpoint } from './node/checkpoint-files.js';
export { listCheckpointTensors, type CheckpointTensorsReport } from './node/checkpoint-tensors.js';
export { writeFileSafely, type WriteFileOptions } from './node/write-file.js';
export { saveFile, type SaveFileOptions } from './node/save-file.js';

/** Reads a whole file, turning a missing or unreadable file into a KconvError (IO_ERROR). */
export function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new KconvError('IO_ERROR', `cannot read '${path}': ${why}`, { cause: e });
  }
}

export interface LoadFileOptions extends Omit<LoadOptions, 'architecture' | 'filename'> {
  /**
   * The architecture for a weights-only file or a checkpoint: the path of its JSON, or the parsed
   * document. Never guessed from files next to the model.
   */
  architecture?: string | object;
}

/** The first `length` bytes of a file (fewer when it is shorter), for sniffing its format. */
export function readHead(path: string, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(length);
    return buf.subarray(0, readSync(fd, buf, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/** A directory holding one TensorFlow checkpoint: a `checkpoint` state file, `.index` files, or a SavedModel. */
export function isCheckpointDirectory(dir: string): boolean {
  return (
    existsSync(join(dir, 'checkpoint')) ||
    existsSync(join(dir, 'saved_model.pb')) ||
    readdirSync(dir).some((f) => f.endsWith('.index'))
  );
}

/**
 * Whether `path` names a TensorFlow checkpoint rather than a single model file: a directory
 * (checkpoint state file, one `.index`, or a SavedModel), a prefix whose `.index` exists, a
 * `.index`/`.meta`/`.data-*` file, or a V1 checkpoint table.
 */
export function isCheckpointPath(path: string): boolean {
  if (!existsSync(path)) return existsSync(`${path}.index`) || existsSync(`${path}-00000-of-00001`);
  if (statSync(path).isDirectory()) return isCheckpointDirectory(path);
  if (/\.(index|meta)$|\.data-\d{5}-of-\d{5}$/.test(path)) return true;
  const size = statSync(path).size;
  if (size < 48) return false;
  // A V1 checkpoint is an SSTable: its magic number is in the last 8 bytes.
  const fd = openSync(path, 'r');
  try {
    const tail = new Uint8Array(8);
    readSync(fd, tail, 0, 8, size - 8);
    // Sniff a stand-in of the file: its first 8 bytes (so HDF5/zip/... win as they would), padding, its last 8.
    return sniffFormat(new Uint8Array([...readHead(path, 8), ...new Uint8Array(40), ...tail])) === 'tf-index';
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads a model from a path: any file `load` reads, or a TensorFlow checkpoint named by its
 * prefix, `.index`/`.meta` file or directory.
 */
export async function loadFile(path: string, options: LoadFileOptions = {}): Promise<Model> {
  const architecture = typeof options.architecture === 'string' ? readBytes(options.architecture) : options.architecture;
  if (isCheckpointPath(path)) {
    const checkpoint = resolveCheckpoint(path);
    const model = await load({ checkpoint }, { ...options, architecture, filename: path });
    model.graph.provenance.warnings.push(...checkpoint.warnings);
    return model;
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new KconvError('USAGE', `'${path}' is a directory, not a model file or TensorFlow checkpoint`);
  }
  return load(readBytes(path), { ...options, architecture, filename: path });
}

/** Reads a `.npy` file as a tensor. */
export function readNpyFile(path: string): Tensor {
  return readNpy(readBytes(path), path);
}

/**
 * Reads a tensor from a `.npy` file or a JSON file (nested arrays, or `{shape, data, dtype?}`):
 * the bytes decide, as for models.
 */
export function readTensorFile(path: string): Tensor {
  const bytes = readBytes(path);
  if (isNpy(bytes)) return readNpy(bytes, path);
  const text = new TextDecoder().decode(bytes).trimStart();
  if (!text.startsWith('[') && !text.startsWith('{')) {
    throw new KconvError('BAD_INPUT', `'${path}' is neither a .npy file nor JSON (nested arrays of numbers, or {shape, data})`);
  }
  return tensorFromJson(parseJsonSafely(text, { where: path, limits: DEFAULT_LIMITS }), path);
}

/** Writes a tensor as JSON nested arrays when `path` ends in `.json`, else as `.npy` (safely, see `writeFileSafely`). */
export async function writeTensorFile(path: string, t: Tensor, options: Omit<WriteFileOptions, 'verify'> = {}): Promise<void> {
  if (path.toLowerCase().endsWith('.json')) await writeFileSafely(path, new TextEncoder().encode(`${JSON.stringify(tensorToJson(t))}\n`), options);
  else await writeNpyFile(path, t, options);
}

/** Writes a tensor as a `.npy` file (safely, see `writeFileSafely`). */
export async function writeNpyFile(path: string, t: Tensor, options: Omit<WriteFileOptions, 'verify'> = {}): Promise<void> {
  await writeFileSafely(path, writeNpy(t), options);
}
