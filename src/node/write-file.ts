/**
 * Node-only: writing a model file safely.
 *
 * 1. The output must not be the input (same path or same file through a link), ever.
 * 2. An existing output is refused (OUTPUT_EXISTS) unless `force`.
 * 3. The bytes go to a temporary file in the output's directory (same file system, so the
 *    rename is atomic), are fsync'ed, and the temporary file is renamed over the output (without
 *    `force`, hard-linked to it instead, which fails if the output appeared meanwhile); the
 *    directory is fsync'ed so the rename itself survives a crash. A crash at any point leaves
 *    either no output or the previous one — never a partial file under the output's name.
 * 4. The written file is read back from disk and checked: byte for byte against `bytes`, then
 *    with `verify` when given (for a model, kconv's own reader: every weight compared bit for
 *    bit, see src/node/save-file.ts); if that fails, the output is not created and the error
 *    raised.
 *
 * This is the only file writer: `kconv convert` (through saveFile), `kconv run --output` (through
 * writeNpyFile) and the API's `writeFileSafely` all come here.
 */
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KconvError } from '../errors.js';

export interface WriteFileOptions {
  /** Overwrite an existing output (never the input). */
  force?: boolean;
  /** Paths of the inputs the output must not overwrite. */
  inputs?: string[];
  /**
   * Checks the bytes read back from the written file; throws (a KconvError, e.g.
   * CHECKSUM_MISMATCH) when they are not what was meant to be written.
   */
  verify?: (written: Uint8Array) => void | Promise<void>;
}

function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  if (!existsSync(a) || !existsSync(b)) return false;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return realpathSync(a) === realpathSync(b);
  }
}

/** The temporary name a write of `output` uses (hidden, same directory, random suffix). */
export function temporaryPathFor(output: string): string {
  return join(dirname(resolve(output)), `.${basename(output)}.kconv-${randomBytes(6).toString('hex')}.tmp`);
}

function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms (Windows) cannot open directories; the rename is still atomic there.
  }
}

/**
 * Puts the finished temporary file at `output` without ever replacing a file there: link() fails
 * (EEXIST) if the output appeared since the existence check, then the temporary name is removed.
 */
function linkOrRename(tmp: string, output: string): void {
  try {
    linkSync(tmp, output);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // A file system without hard links: the earlier existence check has to do.
    renameSync(tmp, output);
    return;
  }
  rmSync(tmp, { force: true });
}

/** Writes `bytes` to `output` safely (see the module comment). */
export async function writeFileSafely(output: string, bytes: Uint8Array, options: WriteFileOptions = {}): Promise<void> {
  for (const input of options.inputs ?? []) {
    if (sameFile(input, output)) {
      throw new KconvError('OUTPUT_EXISTS', `refusing to write '${output}': it is an input of this command ('${input}'); choose another output path (an input is never overwritten, even with the force option)`, { file: output });
    }
  }
  if (existsSync(output)) {
    if (statSync(output).isDirectory()) throw new KconvError('IO_ERROR', `cannot write '${output}': it is a directory`, { file: output });
    if (!options.force) throw new KconvError('OUTPUT_EXISTS', `'${output}' already exists (pass the force option to overwrite it)`, { file: output });
  }
  const dir = dirname(resolve(output));
  if (!existsSync(dir)) throw new KconvError('IO_ERROR', `cannot write '${output}': directory '${dirname(output)}' does not exist`, { file: output });
  const tmp = temporaryPathFor(output);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    const written = new Uint8Array(readFileSync(tmp));
    if (!Buffer.from(written.buffer, written.byteOffset, written.byteLength).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) {
      throw new KconvError('CHECKSUM_MISMATCH', `read-back check: the bytes read back from '${output}' differ from the bytes written`, { file: output });
    }
    if (options.verify) await options.verify(written);
    if (options.force) renameSync(tmp, output);
    else linkOrRename(tmp, output);
    fsyncDirectory(dir);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    if (e instanceof KconvError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KconvError('OUTPUT_EXISTS', `'${output}' already exists (pass the force option to overwrite it)`, { file: output, cause: e });
    }
    throw new KconvError('IO_ERROR', `cannot write '${output}': ${(e as Error).message}`, { file: output, cause: e });
  }
}
