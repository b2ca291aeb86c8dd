/**
 * `kconv convert IN --to keras-v3|keras-h5|keras-v3-weights|keras-h5-weights|kir [--target-version V] -o OUT [--force]`.
 * IN may be a directory: every model file in it (recursively) is converted into OUT, keeping the
 * relative paths and replacing the extension.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { extensionFor, isCheckpointDirectory, KconvError, loadFile, readHead, saveFile, sniffFormat, type SaveFormat } from '../../node.js';
import { EXIT_OK, type Context } from '../context.js';

export interface ConvertArgs {
  input: string;
  to: SaveFormat;
  targetVersion?: string;
  output: string;
  force: boolean;
  architecture?: string;
}

const MODEL_EXTENSIONS = ['.weights.h5', '.h5', '.hdf5', '.keras', '.kir'];

function stripModelExtension(name: string): string {
  for (const ext of MODEL_EXTENSIONS) if (name.toLowerCase().endsWith(ext)) return name.slice(0, -ext.length);
  return name;
}

/** Model files under `dir` (recursively), judged by their bytes: HDF5, zip (.keras) and .kir. */
function modelFilesIn(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const f = sniffFormat(readHead(p, 16));
        if (f === 'hdf5' || f === 'zip' || f === 'kir') found.push(p);
      }
    }
  };
  walk(dir);
  return found;
}

async function convertOne(ctx: Context, input: string, output: string, args: ConvertArgs): Promise<void> {
  const model = await loadFile(input, { ...ctx.loadOptions(), architecture: args.architecture });
  // The one safe writer: temporary file, fsync, read back weight by weight, rename, directory fsync.
  const { warnings } = await saveFile(model, output, {
    format: args.to,
    targetVersion: args.targetVersion,
    force: args.force,
    inputs: [input, ...(args.architecture ? [args.architecture] : [])],
  });
  for (const w of warnings) ctx.warn(`${input}: ${w}`);
}

export async function convertCommand(ctx: Context, args: ConvertArgs): Promise<number> {
  const isDir = existsSync(args.input) && statSync(args.input).isDirectory() && !isCheckpointDirectory(args.input);
  if (!isDir) {
    await convertOne(ctx, args.input, args.output, args);
    if (ctx.flags.json) ctx.json({ converted: [{ input: args.input, output: args.output }] });
    else ctx.info(`wrote ${args.output}`);
    return EXIT_OK;
  }
  const files = modelFilesIn(args.input);
  if (files.length === 0) throw new KconvError('USAGE', `no model files (.h5, .keras, .kir) found in '${args.input}'`);
  if (existsSync(args.output) && !statSync(args.output).isDirectory()) {
    throw new KconvError('USAGE', `'${args.output}' is a file: converting a directory needs an output directory`);
  }
  const progress = ctx.progress(files.length, 'convert');
  const converted: { input: string; output: string }[] = [];
  try {
    for (const file of files) {
      const rel = relative(args.input, file);
      const out = join(args.output, stripModelExtension(rel) + extensionFor(args.to, args.targetVersion));
      mkdirSync(join(out, '..'), { recursive: true });
      await convertOne(ctx, file, out, args);
      converted.push({ input: file, output: out });
      progress.tick(rel);
    }
  } finally {
    progress.done();
  }
  if (ctx.flags.json) ctx.json({ converted });
  else for (const c of converted) ctx.out(`${c.input} -> ${c.output}`);
  return EXIT_OK;
}
