/**
 * Node-only: finds the files of a TF checkpoint named the ways users name them, and reads them.
 *
 *   model.ckpt-1000                 the prefix (V2: model.ckpt-1000.index exists; V1: the file itself,
 *                                   or model.ckpt-1000-00000-of-0000N shards)
 *   model.ckpt-1000.index           the index file
 *   model.ckpt-1000.meta            the graph file (its prefix is used)
 *   dir/                            a directory with a `checkpoint` state file (text proto
 *                                   `model_checkpoint_path: "..."`, relative to dir or absolute),
 *                                   or a SavedModel directory (saved_model.pb + variables/)
 *
 * Like TensorFlow: if `<prefix>.index` exists it is V2, otherwise V1. The `.meta` beside the
 * prefix is loaded when present (for V1 sharded exports, `-NNNNN-of-NNNNN` is dropped first).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { KconvError } from '../errors.js';
import { readTable } from '../formats/sstable.js';
import { decodeProto } from '../formats/tf-protos.js';
import type { CheckpointFiles } from '../tf/checkpoint.js';

export interface ResolvedCheckpoint extends CheckpointFiles {
  prefix: string;
  /** Paths of every file read, for reports. */
  paths: string[];
  warnings: string[];
}

function read(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new KconvError('IO_ERROR', `cannot read ${path}: ${(e as Error).message}`, { file: path, cause: e });
  }
}

const pad5 = (n: number) => String(n).padStart(5, '0');

/** The `model_checkpoint_path` of a `checkpoint` state file, resolved against its directory. */
export function checkpointStatePath(dir: string): string {
  const file = join(dir, 'checkpoint');
  const text = new TextDecoder().decode(read(file));
  const m = /^\s*model_checkpoint_path\s*:\s*"((?:[^"\\]|\\.)*)"/m.exec(text);
  if (!m) throw new KconvError('CORRUPT_FILE', `expected a line model_checkpoint_path: "..." in the checkpoint state file, found ${JSON.stringify(text.slice(0, 120))}`, { file });
  const path = m[1].replace(/\\(.)/g, '$1');
  const full = isAbsolute(path) ? path : join(dir, path);
  if (!existsSync(`${full}.index`) && !existsSync(full) && !existsSync(`${full}-00000-of-00001`) && !existsSync(`${full}.meta`)) {
    const beside = join(dir, basename(path));
    const hint = beside !== full && (existsSync(`${beside}.index`) || existsSync(beside)) ? `; a checkpoint ${basename(path)} exists in ${dir} (the export was moved?): name it by its prefix, ${beside}` : '';
    throw new KconvError('IO_ERROR', `the checkpoint state file points to ${path}, which does not exist${hint}`, { file, where: 'model_checkpoint_path' });
  }
  return full;
}

function v1Shards(prefix: string): string[] | undefined {
  if (existsSync(prefix) && statSync(prefix).isFile()) return [prefix];
  const dir = dirname(prefix);
  if (!existsSync(dir)) return undefined;
  const re = new RegExp(`^${basename(prefix).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{5})-of-(\\d{5})$`);
  const found = readdirSync(dir)
    .map((f) => re.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  if (found.length === 0) return undefined;
  const total = Number(found[0][2]);
  if (found.length !== total) throw new KconvError('IO_ERROR', `V1 checkpoint ${prefix}: ${found.length} of ${total} shard files are present`, { file: prefix });
  return found.map((m) => join(dir, m[0]));
}

/** Resolves a checkpoint named by prefix, `.index`, `.meta`, shard file or directory, and reads its files. */
export function resolveCheckpoint(path: string): ResolvedCheckpoint {
  const warnings: string[] = [];
  let target = resolve(path);
  if (existsSync(target) && statSync(target).isDirectory()) {
    // A SavedModel: saved_model.pb + variables/variables.* (or, in flattened copies, variables.* beside it).
    const savedModelVariables = [join(target, 'variables', 'variables'), join(target, 'variables')].find((p) => existsSync(`${p}.index`));
    if (existsSync(join(target, 'saved_model.pb')) && savedModelVariables) {
      const r = resolveCheckpoint(savedModelVariables);
      r.savedModel = read(join(target, 'saved_model.pb'));
      r.paths.push(join(target, 'saved_model.pb'));
      return r;
    }
    if (!existsSync(join(target, 'checkpoint'))) {
      const indexes = readdirSync(target).filter((f) => f.endsWith('.index'));
      if (indexes.length === 1) target = join(target, indexes[0].slice(0, -'.index'.length));
      else throw new KconvError('USAGE', `${path} is a directory without a 'checkpoint' state file${indexes.length ? ` and with several .index files (${indexes.join(', ')}): name one` : ' or any .index file'}`, { file: path });
    } else {
      target = checkpointStatePath(target);
    }
  } else if (target.endsWith('.index') || target.endsWith('.meta')) {
    target = target.replace(/\.(index|meta)$/, '');
  } else if (/\.data-\d{5}-of-\d{5}$/.test(target)) {
    target = target.replace(/\.data-\d{5}-of-\d{5}$/, '');
  }
  const prefix = target;
  const metaPath = `${prefix.replace(/-[\d?]+-of-\d+$/, '')}.meta`;
  const meta = existsSync(metaPath) ? read(metaPath) : undefined;
  const paths: string[] = meta ? [metaPath] : [];

  if (existsSync(`${prefix}.index`)) {
    const index = read(`${prefix}.index`);
    paths.push(`${prefix}.index`);
    const numShards = headerShards(index, `${prefix}.index`);
    const shards: (Uint8Array | undefined)[] = [];
    for (let i = 0; i < numShards; i++) {
      const p = `${prefix}.data-${pad5(i)}-of-${pad5(numShards)}`;
      if (existsSync(p)) {
        shards.push(read(p));
        paths.push(p);
      } else {
        shards.push(undefined);
        warnings.push(`data file ${p} is missing: tensors stored there cannot be read`);
      }
    }
    return { kind: 'v2', prefix, index, shards, meta, name: prefix, paths, warnings };
  }
  const v1 = v1Shards(prefix);
  if (v1) {
    paths.push(...v1);
    return { kind: 'v1', prefix, shards: v1.map(read), meta, name: prefix, paths, warnings };
  }
  throw new KconvError('IO_ERROR', `no checkpoint at ${path}: expected ${prefix}.index (V2), or ${prefix} / ${prefix}-00000-of-NNNNN (V1)`, { file: path });
}

/** The shard count a V2 index declares (we only need the header to know which files to read). */
function headerShards(index: Uint8Array, file: string): number {
  const first = readTable(index, { file })[0];
  if (!first || first.key.length !== 0) return 1;
  const header = decodeProto<{ num_shards: number }>('tensorflow.BundleHeaderProto', first.value, 'header', file);
  if (header.num_shards > 65536) throw new KconvError('LIMIT_EXCEEDED', `the index declares ${header.num_shards} data shards`, { file, where: 'header' });
  return Math.max(header.num_shards, 1);
}
