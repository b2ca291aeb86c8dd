/**
 * `kconv convert IN --to keras-v3|keras-h5|keras-v3-weights|keras-h5-weights|kir|onnx [--target-version V] -o OUT [--force]`.
 * IN may be a directory: every model file in it (recursively) is converted into OUT, keeping the
 * relative paths and replacing the extension. A directory run carries on past a model it cannot
 * convert, and ends with a converted/refused/failed summary (exit 1 when any was not converted).
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { extensionFor, isCheckpointDirectory, isKconvError, KconvError, loadFile, readHead, saveFile, sniffFormat, writeFileSafely, type Model, type SaveFormat } from '../../node.js';
import { EXIT_CHECK_FAILED, EXIT_OK, forCli, type Context } from '../context.js';

export interface ConvertArgs {
  input: string;
  to: SaveFormat;
  targetVersion?: string;
  output: string;
  force: boolean;
  architecture?: string;
}

const MODEL_EXTENSIONS = ['.weights.h5', '.h5', '.hdf5', '.keras', '.kir'];

/** Ops whose kernels a Theano-trained file stores flipped: the backend decides their numbers. */
const BACKEND_SENSITIVE_OPS = new Set(['Conv1D', 'SeparableConv1D', 'DepthwiseConv1D', 'Conv1DTranspose']);

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

/**
 * A Keras 1 file records no backend. For convolutions the backend decides the numbers, and the
 * conversion bakes the choice into the new file for good: refuse to guess.
 */
function refuseGuessedBackend(ctx: Context, model: Model, input: string): void {
  const p = model.graph.provenance;
  if (ctx.flags.backend || p.backend || !p.assumedBackend) return;
  const convs = model.graph.nodes.filter((n) => BACKEND_SENSITIVE_OPS.has(n.op));
  if (convs.length === 0) return;
  throw new KconvError(
    'USAGE',
    `'${input}' does not record the backend it was trained with (Keras 1), and its convolutions (${convs.map((n) => n.name).join(', ')}) ` +
      'give different numbers under each: give --backend tensorflow or --backend theano (Theano kernels are flipped). ' +
      'The converted file keeps that choice for good.',
  );
}

/** Where the architecture JSON of a weights-only output goes: beside it, `<name>.json`. */
export function architecturePathFor(output: string): string {
  return `${stripModelExtension(output)}.json`;
}

interface Converted {
  input: string;
  output: string;
  architecture?: string;
  target?: string;
  loadsIn?: string;
  warnings: string[];
}

async function convertOne(ctx: Context, input: string, output: string, args: ConvertArgs, makeDir: () => void): Promise<Converted> {
  const model = await loadFile(input, { ...ctx.loadOptions(), architecture: args.architecture });
  refuseGuessedBackend(ctx, model, input);
  const inputs = [input, ...(args.architecture ? [args.architecture] : [])];
  makeDir();
  // The one safe writer: temporary file, fsync, read back weight by weight, rename, directory fsync.
  const saved = await saveFile(model, output, { format: args.to, targetVersion: args.targetVersion, force: args.force, inputs });
  const result: Converted = { input, output, warnings: [...model.inspect().warnings, ...saved.warnings].map(forCli) };
  if (saved.target) result.target = saved.target;
  if (saved.loadsIn) result.loadsIn = saved.loadsIn;
  if (saved.format === 'keras-v3-weights' || saved.format === 'keras-h5-weights') {
    // Weights alone cannot be loaded, by kconv or by Keras: the architecture goes beside them.
    result.architecture = architecturePathFor(output);
    const json = `${JSON.stringify(model.toJSON({ targetVersion: saved.target }))}\n`;
    await writeFileSafely(result.architecture, new TextEncoder().encode(json), { force: args.force, inputs });
  }
  return result;
}

function report(ctx: Context, c: Converted): void {
  for (const w of c.warnings) ctx.warn(`${c.input}: ${w}`);
  ctx.info(`wrote ${c.output}${c.loadsIn ? ` (loads in ${c.loadsIn})` : ''}${c.architecture ? `, and its architecture ${c.architecture}` : ''}`);
}

export async function convertCommand(ctx: Context, args: ConvertArgs): Promise<number> {
  const isDir = existsSync(args.input) && statSync(args.input).isDirectory() && !isCheckpointDirectory(args.input);
  if (!isDir) {
    const c = await convertOne(ctx, args.input, args.output, args, () => {});
    if (ctx.flags.json) ctx.json({ converted: [c], refused: [], failed: [] });
    else report(ctx, c);
    return EXIT_OK;
  }
  const files = modelFilesIn(args.input);
  if (files.length === 0) throw new KconvError('USAGE', `no model files (.h5, .keras, .kir) found in '${args.input}'`);
  if (existsSync(args.output) && !statSync(args.output).isDirectory()) {
    throw new KconvError('USAGE', `'${args.output}' is a file: converting a directory needs an output directory`);
  }
  const progress = ctx.progress(files.length, 'convert');
  const converted: Converted[] = [];
  const refused: { input: string; code: string; message: string }[] = [];
  const failed: { input: string; code: string; message: string }[] = [];
  try {
    for (const file of files) {
      const rel = relative(args.input, file);
      const out = join(args.output, stripModelExtension(rel) + extensionFor(args.to, args.targetVersion));
      // Folders are made only for a model about to be written: a failure leaves none behind.
      const makeDir = () => mkdirSync(dirname(out), { recursive: true });
      try {
        const c = await convertOne(ctx, file, out, args, makeDir);
        converted.push(c);
        if (!ctx.flags.json) report(ctx, c);
      } catch (e) {
        if (!isKconvError(e)) throw e;
        const entry = { input: file, code: e.code, message: forCli(e.message) };
        (e.code === 'NOT_REPRESENTABLE' ? refused : failed).push(entry);
        if (!ctx.flags.json) ctx.warn(`${file}: ${e.code === 'NOT_REPRESENTABLE' ? 'refused' : 'failed'}: ${e.code}: ${e.message}`);
        removeEmptyDirs(dirname(out), args.output);
      }
      progress.tick(rel);
    }
  } finally {
    progress.done();
  }
  const summary = { converted: converted.length, refused: refused.length, failed: failed.length };
  if (ctx.flags.json) ctx.json({ converted, refused, failed, summary });
  else {
    for (const c of converted) ctx.out(`${c.input} -> ${c.output}`);
    ctx.out(`Summary: ${summary.converted} converted, ${summary.refused} refused (the target cannot hold them), ${summary.failed} failed, of ${files.length}.`);
  }
  return refused.length + failed.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}

/** Removes `dir` and its parents up to (not including) `stop` while they are empty. */
function removeEmptyDirs(dir: string, stop: string): void {
  for (let d = dir; relative(stop, d) !== '' && !relative(stop, d).startsWith('..'); d = dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}
