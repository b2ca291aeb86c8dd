/**
 * `kconv run MODEL --input IN.npy|IN.json … [--output OUT.npy|OUT.json …] [--expected E.npy …]`,
 * or `kconv run MODEL --random [--length L]`: runs a model on `.npy` or JSON inputs, or on seeded
 * random ones (integers inside the vocabulary for inputs that feed an Embedding). Files bind to
 * the model's inputs/outputs in model order, or by name with `name=path`. Without `--output` the
 * outputs are described on stdout; with `--expected` each output is compared with a reference
 * (e.g. Keras's own prediction) and a mismatch exits 1.
 */
import { compareArrays, KconvError, loadFile, randomInputs, readTensorFile, toFloat32, writeTensorFile, type Model, type Tensor } from '../../node.js';
import { EXIT_CHECK_FAILED, EXIT_OK, forCli, parseTolerance, type Context } from '../context.js';

export interface RunArgs {
  model: string;
  input: string[];
  output: string[];
  expected: string[];
  tolerance: string;
  architecture?: string;
  force: boolean;
  random: boolean;
  length?: number;
  batch?: number;
  seed?: number;
}

/**
 * Binds `path` or `name=path` arguments to names, in order. A `name=` prefix only counts when
 * `name` is one of `names` (so a path that contains '=' still works positionally).
 */
export function bindByName(args: string[], names: string[], what: string): Map<string, string> {
  const bound = new Map<string, string>();
  const positional: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : '';
    if (name && names.includes(name)) {
      if (bound.has(name)) throw new KconvError('USAGE', `${what} '${name}' is given twice`);
      bound.set(name, arg.slice(eq + 1));
    } else {
      positional.push(arg);
    }
  }
  const free = names.filter((n) => !bound.has(n));
  if (positional.length > free.length) {
    throw new KconvError('USAGE', `the model has ${names.length} ${what}(s) (${names.join(', ')}), ${args.length} --${what} given`);
  }
  positional.forEach((p, i) => bound.set(free[i], p));
  return bound;
}

function stats(t: Tensor): { min: number; max: number; mean: number } {
  const d = toFloat32(t);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    min = Math.min(min, d[i]);
    max = Math.max(max, d[i]);
    sum += d[i];
  }
  return { min, max, mean: d.length ? sum / d.length : NaN };
}

/**
 * A few values to look at: one row per batch item when each item is small (a classifier's
 * probabilities), else the first values of the first item.
 */
function preview(t: Tensor, maxRows = 4, maxValues = 8): string[] {
  const d = toFloat32(t);
  const fmt = (a: Float32Array) => Array.from(a, (v) => v.toPrecision(6)).join(', ');
  const batch = t.shape.length > 1 ? t.shape[0] : 1;
  const per = batch > 0 ? d.length / batch : 0;
  if (t.shape.length > 1 && per <= maxValues) {
    const rows: string[] = [];
    for (let b = 0; b < Math.min(batch, maxRows); b++) rows.push(`[${b}] ${fmt(d.subarray(b * per, (b + 1) * per))}`);
    if (batch > maxRows) rows.push(`… ${batch - maxRows} more`);
    return rows;
  }
  return [`${fmt(d.subarray(0, maxValues))}${d.length > maxValues ? ', …' : ''}`];
}

/** `--input` files (`.npy` or JSON), bound to the model's inputs. */
function inputsFromFiles(args: RunArgs, inputNames: string[]): Record<string, Tensor> {
  if (args.input.length === 0) {
    throw new KconvError('USAGE', `give one --input (.npy or .json) per model input (${inputNames.join(', ')}), or --random`);
  }
  const inputPaths = bindByName(args.input, inputNames, 'input');
  const missing = inputNames.filter((n) => !inputPaths.has(n));
  if (missing.length) throw new KconvError('USAGE', `no --input given for model input(s) ${missing.join(', ')}`);
  const inputs: Record<string, Tensor> = {};
  for (const [name, path] of inputPaths) inputs[name] = readTensorFile(path);
  return inputs;
}

/** `--random`: seeded values of the model's declared shapes, `--length` for open axes. */
function randomFor(model: Model, args: RunArgs): Record<string, Tensor> {
  if (args.input.length > 0) throw new KconvError('USAGE', '--random and --input exclude each other: give one or the other');
  for (const [flag, v] of [['--length', args.length], ['--batch', args.batch], ['--seed', args.seed]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= (flag === '--seed' ? 0 : 1))) {
      throw new KconvError('USAGE', `${flag} takes a ${flag === '--seed' ? 'non-negative' : 'positive'} integer, got '${String(v)}'`);
    }
  }
  const open = model.inspect().inputs.filter((i) => i.shape?.slice(1).includes(null));
  if (args.length === undefined && open.length > 0) {
    throw new KconvError('USAGE', `input '${open[0].name}' has an open steps axis (shape ${shapeText(open[0].shape!)}): give --length with --random`);
  }
  const tensors = randomInputs(model, { length: args.length, batch: args.batch, seed: args.seed });
  return Object.fromEntries(model.inputNames.map((n, i) => [n, tensors[i]]));
}

function shapeText(shape: (number | null)[]): string {
  return `(${shape.map((d) => d ?? 'None').join(', ')})`;
}

function inputSummary(names: string[], inputs: Record<string, Tensor>): { name: string; shape: number[]; dtype: string }[] {
  return names.map((name) => ({ name, shape: inputs[name].shape, dtype: inputs[name].dtype }));
}

export async function runCommand(ctx: Context, args: RunArgs): Promise<number> {
  const model = await loadFile(args.model, { ...ctx.loadOptions(), architecture: args.architecture });
  const inputNames = model.inputNames;
  const outputNames = model.outputNames;
  // What kconv assumed to read the file (a Keras 1 backend...) changes the numbers: say it here too.
  const warnings = model.inspect().warnings.map(forCli); // the --json warnings name flags, as stderr does
  for (const w of warnings) ctx.warn(w);
  const inputs = args.random ? randomFor(model, args) : inputsFromFiles(args, inputNames);
  const inputPaths = bindByName(args.input, inputNames, 'input');
  const outputPaths = bindByName(args.output, outputNames, 'output');
  const expectedPaths = bindByName(args.expected, outputNames, 'expected');
  const tol = parseTolerance(args.tolerance);

  const started = Date.now();
  const outputs = await model.predict(inputs);
  const ms = Date.now() - started;

  const used = [args.model, ...inputPaths.values(), ...expectedPaths.values()];
  for (const [name, path] of outputPaths) {
    await writeTensorFile(path, outputs[outputNames.indexOf(name)], { force: args.force, inputs: used });
  }

  let failed = false;
  const report = outputNames.map((name, i) => {
    const t = outputs[i];
    const entry: Record<string, unknown> = { name, shape: t.shape, dtype: t.dtype, ...stats(t) };
    const file = outputPaths.get(name);
    if (file) entry.file = file;
    const expectedPath = expectedPaths.get(name);
    if (expectedPath) {
      const expected = readTensorFile(expectedPath);
      const sameShape = expected.shape.length === t.shape.length && expected.shape.every((d, k) => d === t.shape[k]);
      const c = sameShape
        ? compareArrays(toFloat32(t), toFloat32(expected), tol, t.shape)
        : { pass: false, maxAbsError: Infinity, maxRelError: Infinity, message: `shape [${t.shape.join(', ')}] differs from expected [${expected.shape.join(', ')}]` };
      if (!c.pass) failed = true;
      entry.expected = { file: expectedPath, tolerance: tol.name, pass: c.pass, maxAbsError: c.maxAbsError, maxRelError: c.maxRelError, ...(c.message ? { message: c.message } : {}) };
    }
    return entry;
  });

  if (ctx.flags.json) {
    ctx.json({ model: args.model, ...(args.random ? { inputs: inputSummary(inputNames, inputs) } : {}), milliseconds: ms, outputs: report, warnings });
  } else {
    for (const [i, name] of outputNames.entries()) {
      const t = outputs[i];
      const e = report[i];
      const s = stats(t);
      ctx.out(`output ${name}: shape (${t.shape.join(', ')}) ${t.dtype}  min ${s.min.toPrecision(4)}  max ${s.max.toPrecision(4)}  mean ${s.mean.toPrecision(4)}`);
      for (const line of preview(t)) ctx.out(`  ${line}`);
      if (e.file) ctx.out(`  written to ${e.file as string}`);
      const x = e.expected as { file: string; pass: boolean; maxAbsError: number; maxRelError: number; message?: string } | undefined;
      if (x) {
        ctx.out(
          `  vs ${x.file}: ${x.pass ? 'MATCH' : 'MISMATCH'} (max abs error ${x.maxAbsError.toExponential(2)}, max rel error ${x.maxRelError.toExponential(2)}, tolerance '${tol.name}')` +
            (x.message ? `: ${x.message}` : ''),
        );
      }
    }
    if (args.random) ctx.info(`random inputs: ${inputSummary(inputNames, inputs).map((i) => `${i.name} (${i.shape.join(', ')}) ${i.dtype}`).join(', ')}`);
    ctx.info(`ran in ${ms} ms`);
  }
  return failed ? EXIT_CHECK_FAILED : EXIT_OK;
}
