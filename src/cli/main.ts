/**
 * The `kconv` command line: argument parsing (yargs), dispatch to one module per command, and the
 * single place where errors become messages and exit codes. Commands only use the public API
 * (src/index.ts, src/node.ts).
 */
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEPRECATED_WRITE_ALIASES, isKconvError, MODEL_FORMATS, SAVE_FORMATS, TOLERANCES, VERSION, type SaveFormat } from '../index.js';
import { benchCommand } from './commands/bench.js';
import { convertCommand } from './commands/convert.js';
import { inspectCommand } from './commands/inspect.js';
import { runCommand } from './commands/run.js';
import { verifyCommand } from './commands/verify.js';
import { Context, EXIT_ERROR, EXIT_OK, forCli, limitsFromMaxMemory, type GlobalFlags, type Io } from './context.js';

// yargs through its CommonJS entry: its ES module build lays out --help with a stand-in for
// wrap-ansi that breaks lines every N characters, mid-word ("flips kerne/ls"); the CommonJS
// build wraps at word boundaries.
const yargs = createRequire(import.meta.url)('yargs') as typeof import('yargs').default;

/** A command line yargs rejected (unknown flag, missing argument...). */
class UsageError extends Error {}

const TOLERANCE_HELP = `named tolerance (${Object.keys(TOLERANCES).join(', ')}) or 'rtol=R,atol=A'`;

/** yargs's message, with what the user most likely meant when it names a stray file. */
function withHint(msg: string): string {
  const stray = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!stray) return msg;
  const files = stray[1].split(', ');
  const data = files.find((f) => /\.(npy|json)$/i.test(f));
  if (data) return `${msg} (give input files with --input ${data})`;
  const model = files.find((f) => /\.(h5|hdf5|keras|kir)$/i.test(f));
  if (model) return `${msg} (one model per command; to convert many, give their directory)`;
  return msg;
}

function globalFlags(argv: Record<string, unknown>): GlobalFlags {
  return {
    backend: argv.backend as GlobalFlags['backend'],
    quiet: argv.quiet === true,
    json: argv.json === true,
    debug: argv.debug === true,
    limits: limitsFromMaxMemory(argv.maxMemory),
    ...(argv.inputNode !== undefined ? { inputNode: String(argv.inputNode) } : {}),
  };
}

function buildParser(args: string[], io: Io, setExit: (code: number) => void): Argv {
  // Each handler reports its exit code through setExit; errors propagate to main's catch.
  const handle =
    <A>(fn: (ctx: Context, a: A) => Promise<number>) =>
    async (argv: Record<string, unknown>) => {
      setExit(await fn(new Context(globalFlags(argv), io), argv as unknown as A));
    };

  return yargs(args)
    .scriptName('kconv')
    .usage('kconv <command> [options]\n\nRead, run and convert Keras Conv1D models of every Keras generation.')
    .option('backend', {
      choices: ['theano', 'tensorflow'] as const,
      describe: 'backend to assume for files that do not record one (Keras 1): theano flips kernels',
      global: true,
    })
    .option('input-node', {
      type: 'string',
      describe: 'TF1 checkpoints: the placeholder that is the model input (when the graph has several, e.g. labels)',
      global: true,
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar, info or warnings on stderr', global: true })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable JSON on stdout', global: true })
    .option('debug', { type: 'boolean', default: false, describe: 'show the stack trace of errors', global: true })
    .option('max-memory', {
      type: 'string',
      requiresArg: true,
      describe: 'at most this many MB of weights per model (and of one working buffer when running); files declaring more fail with LIMIT_EXCEEDED',
      global: true,
    })
    .command(
      'inspect <model>',
      'describe a model: format, versions, layers, Conv1D configs, weights',
      (y) =>
        y
          .positional('model', { type: 'string', describe: 'model file (.h5, .keras, .weights.h5, .kir) or TF checkpoint prefix/dir', demandOption: true })
          .option('architecture', { type: 'string', describe: 'architecture JSON (model.to_json()) for a weights-only file' })
          .example('$0 inspect examples/conv1d-classifier/model.h5', '')
          .example('$0 inspect model.h5 --json', ''),
      handle(inspectCommand),
    )
    .command(
      'run <model>',
      'run a model on .npy or JSON inputs, or on random ones',
      (y) =>
        y
          .positional('model', { type: 'string', describe: 'model file or TF checkpoint', demandOption: true })
          .option('input', { alias: 'i', type: 'string', array: true, default: [] as string[], describe: 'input .npy or .json (nested arrays), one per model input in order, or name=path' })
          .option('random', { type: 'boolean', default: false, describe: 'run on seeded random inputs of the declared shapes instead (integers in range for Embedding inputs)' })
          .option('length', { type: 'number', describe: 'with --random: the length of open axes (the steps axis)' })
          .option('batch', { type: 'number', describe: 'with --random: the batch size (default 1)' })
          .option('seed', { type: 'number', describe: 'with --random: the seed (default 42)' })
          .option('output', { alias: 'o', type: 'string', array: true, default: [] as string[], describe: 'output .npy (or .json), one per model output in order, or name=path' })
          .option('expected', { type: 'string', array: true, default: [] as string[], describe: 'reference output .npy or .json to compare with (exit 1 on mismatch)' })
          .option('tolerance', { type: 'string', default: 'close', describe: `tolerance for --expected: ${TOLERANCE_HELP}` })
          .option('architecture', { type: 'string', describe: 'architecture JSON for a weights-only file' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite existing output files' })
          .example('$0 run model.h5 --input x.npy --output y.npy', '')
          .example('$0 run model.h5 --random --length 128', '')
          .example('$0 run model.h5 -i x.json -o y.json', '')
          .example('$0 run model.keras -i seq=x.npy -i mask=m.npy', '')
          .example('$0 run model.h5 -i x.npy --expected keras_y.npy', ''),
      handle(runCommand),
    )
    .command(
      'convert <input>',
      'convert a model (or a directory of models) to another format',
      (y) =>
        y
          .positional('input', { type: 'string', describe: 'model file, TF checkpoint, or directory of model files', demandOption: true })
          .option('to', {
            // kconv 0.1's names stay accepted (with a warning) so scripts keep working; help lists them last.
            choices: [...SAVE_FORMATS, ...Object.keys(DEPRECATED_WRITE_ALIASES)] as SaveFormat[],
            demandOption: true,
            describe: `target format (${SAVE_FORMATS.map((f) => `${f}: ${MODEL_FORMATS[f].extension}`).join(', ')}; deprecated: ${Object.keys(DEPRECATED_WRITE_ALIASES).join(', ')})`,
          })
          .option('target-version', { type: 'string', describe: 'Keras version the output must load in (e.g. 2.15, 3.0)' })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output file (or directory when the input is a directory)' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite existing output files (never the input)' })
          .option('architecture', { type: 'string', describe: 'architecture JSON for a weights-only input' })
          .example('$0 convert old.h5 --to keras-v3 -o new.keras', '')
          .example('$0 convert models/ --to kir -o kir/', ''),
      handle(convertCommand),
    )
    .command(
      'verify <path>',
      'check models against outputs Keras produced (golden cases)',
      (y) =>
        y
          .positional('path', { type: 'string', describe: 'a case directory, a directory of cases, or a manifest.json', demandOption: true })
          .option('tolerance', { type: 'string', describe: `override each case's tolerance: ${TOLERANCE_HELP}` })
          .example('$0 verify fixtures/manifest.json', '')
          .example('$0 verify my-cases/ --json', ''),
      handle(verifyCommand),
    )
    .command(
      'bench',
      'time kconv against tfjs and onnxruntime-node: Conv1D shapes, a model, load time',
      (y) =>
        y
          .option('quick', { type: 'boolean', default: false, describe: 'one small shape and short budgets: seconds instead of minutes' })
          .option('shapes', { type: 'string', describe: 'Conv1D shapes to run, e.g. b,d (default: a–f)' })
          .option('budget', { type: 'number', describe: 'seconds of timing per shape (default 4, 0.3 with --quick)' })
          .example('$0 bench', 'Markdown report on stdout (a few minutes)')
          .example('$0 bench --quick --json', '[{shape, runtime, medianMs, gflops}, ...]'),
      handle(benchCommand),
    )
    .demandCommand(1, 'Give a command.')
    .recommendCommands()
    .strict()
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .epilogue(
      'Exit codes: 0 success, 1 a check failed (verify, run --expected), 2 usage or input error.\n' +
        'Errors print "kconv: error CODE: message"; --debug adds the stack trace.',
    )
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(withHint(msg));
    });
}

/** Runs the CLI with `args` (argv without node and script). Resolves to the exit code. */
export async function main(args: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode = EXIT_OK;
  const debug = args.includes('--debug');
  try {
    await buildParser(args, io, (c) => (exitCode = c)).parseAsync();
    return exitCode;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && e.name === 'YError')) {
      io.stderr.write(`kconv: error USAGE: ${e.message}\nRun 'kconv --help' for usage.\n`);
    } else if (isKconvError(e)) {
      io.stderr.write(`kconv: error ${e.code}: ${forCli(e.message)}\n`);
      if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
    } else {
      // Not a KconvError: a bug in kconv. Say so plainly; the stack is what a bug report needs.
      const err = e instanceof Error ? e : new Error(String(e));
      io.stderr.write(`kconv: internal error: ${err.message}\n`);
      io.stderr.write(debug ? `${err.stack}\n` : 'This is a bug in kconv; rerun with --debug for the stack trace and report it.\n');
    }
    return EXIT_ERROR;
  }
}

/** Entry point of bin/kconv.js. */
export async function runCli(): Promise<void> {
  // `kconv inspect m.h5 | head` closes our stdout early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.exitCode = await main(hideBin(process.argv));
}
