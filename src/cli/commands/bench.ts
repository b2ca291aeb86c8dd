/**
 * `kconv bench [--quick] [--json]`: kconv's Conv1D paths against tfjs-cpu, tfjs-wasm and
 * onnxruntime-node on the issue-8 shapes, fixture models end to end, and model load time
 * (src/bench/). The peers are kconv's devDependencies: each is imported only when the benchmark
 * reaches it, and left out with "peer not installed" when it cannot be.
 *
 * Progress goes to stderr (silenced by --quiet); the Markdown report, or with --json an array of
 * {shape, runtime, medianMs, gflops}, goes to stdout.
 */
import { KconvError } from '../../index.js';
import { EXIT_OK, type Context } from '../context.js';

export interface BenchArgs {
  quick: boolean;
  shapes?: string;
  budget?: number;
}

export async function benchCommand(ctx: Context, args: BenchArgs): Promise<number> {
  if (args.budget !== undefined && !(args.budget > 0)) throw new KconvError('USAGE', `--budget must be a positive number of seconds, got ${String(args.budget)}`);
  // Loaded here, not at the top: the benchmark pulls in worker threads and h5wasm's writer paths
  // that the other commands never need.
  const { runBenchmark, benchJson, benchMarkdown, SHAPE_IDS } = await import('../../bench/index.js');
  const shapes = args.shapes?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = shapes?.filter((s) => !SHAPE_IDS.includes(s)) ?? [];
  if (unknown.length) throw new KconvError('USAGE', `unknown shape ${unknown.join(', ')}: expected some of ${SHAPE_IDS.join(', ')}`);
  const report = await runBenchmark({ quick: args.quick, shapes, budgetSeconds: args.budget, log: (line) => ctx.info(line) });
  if (ctx.flags.json) ctx.json(benchJson(report));
  else ctx.out(benchMarkdown(report));
  return EXIT_OK;
}
