/**
 * The HDF5 C library (compiled to WebAssembly by h5wasm), loaded once and shared by every HDF5
 * file kconv opens or, later, writes.
 *
 * Why this module exists:
 * - h5wasm's ESM build embeds its wasm binary and needs neither `fs` nor the network, so it runs
 *   unchanged in Node and in browsers. Files live in Emscripten's in-memory file system: we copy
 *   the caller's bytes to a fresh in-memory path, open it, and unlink it on close.
 * - The C library reports failures by printing an "HDF5-DIAG" error stack to stderr and returning
 *   a negative id (or by the h5wasm bindings throwing a bare string). We redirect the module's
 *   stderr (fd 2) into a buffer so that nothing is printed to the user's console and the deepest
 *   message of the stack (e.g. "truncated file: eof = 100, ... stored_eof = 34216") becomes the
 *   text of a KconvError.
 *
 * A writer uses the same pieces: `h5Runtime()` for the module and its FS, `scratchPath()` for a
 * fresh in-memory file name, `callHdf5()` to turn failures into KconvErrors.
 */
import * as h5wasm from 'h5wasm';
import { KconvError, type KconvErrorCode } from '../errors.js';

/** The Emscripten module with HDF5's C API bindings. */
export type H5Module = Awaited<typeof h5wasm.ready>;

export interface H5Runtime {
  module: H5Module;
  /** Emscripten's in-memory file system of that module. */
  fs: EmscriptenFs;
  /** Returns (and clears) what the C library printed to stderr since the last call. */
  takeErrorText(): string;
}

/** The part of Emscripten's FS API we use. */
export interface EmscriptenFs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  createDevice(parent: string, name: string, input: (() => number | null) | null, output: (c: number) => void): unknown;
  open(path: string, flags: number | string): { fd: number };
  close(stream: unknown): void;
  getStream(fd: number): unknown;
}

let runtime: Promise<H5Runtime> | undefined;

/** Loads the HDF5 module (once) and redirects its stderr into a buffer. */
export function h5Runtime(): Promise<H5Runtime> {
  runtime ??= h5wasm.ready.then((module) => {
    const fs = (module as unknown as { FS: EmscriptenFs }).FS;
    let captured: number[] = [];
    fs.createDevice('/dev', 'kconv-stderr', null, (c: number) => {
      // Keep the tail only: a corrupt file can produce long error stacks.
      if (captured.length < 1 << 16) captured.push(c);
    });
    // Replace fd 2 (the C library's stderr) by our device: closing it frees fd 2, and FS.open
    // hands out the lowest free descriptor.
    fs.close(fs.getStream(2));
    const stream = fs.open('/dev/kconv-stderr', 1 /* O_WRONLY */);
    if (stream.fd !== 2) throw new Error(`kconv: could not redirect HDF5 stderr (got fd ${stream.fd})`);
    return {
      module,
      fs,
      takeErrorText() {
        const text = new TextDecoder().decode(new Uint8Array(captured));
        captured = [];
        return text;
      },
    };
  });
  return runtime;
}

let counter = 0;

/** A fresh path in the in-memory file system. */
export function scratchPath(suffix = '.h5'): string {
  counter += 1;
  return `/kconv-${counter}${suffix}`;
}

/**
 * The most specific message of an HDF5 error stack: the last `#NNN: ... in func(): message` line
 * (the stack is printed outermost first), or '' when nothing was printed.
 */
export function summarizeHdf5Errors(text: string): string {
  const messages = [...text.matchAll(/#\d+: .*? in [A-Za-z0-9_]+\(\): (.*)$/gm)].map((m) => m[1].trim());
  return messages.length > 0 ? inPlainWords(messages[messages.length - 1]) : '';
}

/**
 * libhdf5's wording for the failures users meet, in ours; anything else as libhdf5 put it.
 * "truncated file: eof = 3000, sblock->base_addr = 0, stored_eof = 27280" is a file cut short
 * (an interrupted download or copy): say so with the two sizes.
 */
export function inPlainWords(message: string): string {
  const truncated = /truncated file: eof = (\d+), sblock->base_addr = \d+, stored_eof = (\d+)/.exec(message);
  if (truncated) {
    return `the file is truncated: it has ${truncated[1]} bytes, but its HDF5 superblock says ${truncated[2]} (an interrupted download or copy?)`;
  }
  return message;
}

/**
 * Runs one call into the HDF5 library; any failure (an exception, or an error stack printed by
 * the C library, or a result that `failed` rejects) becomes a KconvError located at `where`.
 */
export function callHdf5<T>(
  rt: H5Runtime,
  what: string,
  where: string,
  file: string | undefined,
  fn: () => T,
  failed: (result: T) => boolean = () => false,
  code: KconvErrorCode = 'CORRUPT_FILE',
): T {
  rt.takeErrorText();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    const detail = summarizeHdf5Errors(rt.takeErrorText()) || (e instanceof Error ? e.message : String(e));
    throw new KconvError(code, `HDF5: could not ${what}: ${detail}`, { where, file, cause: e });
  }
  const printed = summarizeHdf5Errors(rt.takeErrorText());
  if (failed(result) || printed) {
    throw new KconvError(code, `HDF5: could not ${what}${printed ? `: ${printed}` : ''}`, { where, file });
  }
  return result;
}

/**
 * How far one call into the HDF5 library may grow the module's memory, and how to say so when it
 * asks for more (see `withHeapCap`).
 */
export interface HeapCap {
  /** Most bytes the module's WebAssembly memory may grow by during the call. */
  maxGrowth: number;
  /** The error for a refused growth: `asked` is how far the library tried to grow the memory. */
  refuse(asked: number, start: number): KconvError;
}

const PAGE = 65536;

/**
 * Runs `fn`, one synchronous call into the HDF5 module, with the module's memory allowed to grow
 * by at most `cap.maxGrowth` bytes.
 *
 * Why: the C library trusts sizes it reads from the file for its own working memory, before it
 * can tell they are wrong. A variable-length string's stored length is one: libhdf5 allocates
 * that many bytes to convert the string before it looks the string up in the global heap, so a
 * damaged length of 10^9 grows the module's memory to over a gigabyte, and WebAssembly memory
 * never shrinks. Checking declared sizes in JS cannot reach those fields (they sit in attribute
 * and chunk records that h5wasm does not expose), so the growth itself is refused: Emscripten's
 * allocator then returns NULL, libhdf5 reports "memory allocation failed", and we turn that into
 * a LIMIT_EXCEEDED naming what was asked for.
 *
 * How: h5wasm does not expose its `WebAssembly.Memory`, and Emscripten grows it by calling
 * `wasmMemory.grow(pages)`, a lookup through `WebAssembly.Memory.prototype`. For the duration of
 * `fn` only (it is synchronous: no other JavaScript runs meanwhile) that method is replaced by one
 * that refuses to grow the HDF5 module's memory past the cap (any other memory grows as before);
 * the original is restored before returning.
 */
export function withHeapCap<T>(rt: H5Runtime, cap: HeapCap, fn: () => T): T {
  const proto = WebAssembly.Memory.prototype;
  const grow = proto.grow;
  const start = rt.module.HEAPU8.buffer.byteLength;
  let asked = 0;
  proto.grow = function (this: WebAssembly.Memory, delta: number): number {
    const size = this.buffer.byteLength;
    if (this.buffer === rt.module.HEAPU8.buffer && size + delta * PAGE - start > cap.maxGrowth) {
      asked = Math.max(asked, size + delta * PAGE - start);
      // Emscripten's growMemory catches this and reports the allocation as failed.
      throw new RangeError('kconv: HDF5 memory cap');
    }
    return grow.call(this, delta);
  };
  try {
    return fn();
  } catch (e) {
    throw asked > 0 ? cap.refuse(asked, start) : e;
  } finally {
    proto.grow = grow;
  }
}
