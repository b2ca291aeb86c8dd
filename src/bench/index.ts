/**
 * The whole benchmark behind `kconv bench` (and `npm run bench`): Conv1D shapes (a)–(f) against
 * the peers, fixture models end to end, and model load time, with the machine it ran on and
 * the issue-8 targets checked from the numbers. Node only (worker threads, fs); never part of
 * `npm test`'s pass/fail.
 */
import { cpus, loadavg, platform } from 'node:os';
import { defaultThreadPool } from '../runtime/threads/index.js';
import { markdownTable, runBench, type BenchResult } from './conv.js';
import { benchLoad, type LoadBenchResult } from './load.js';
import { benchModel, defaultModelCases, type ModelBenchResult, type ModelCase } from './model.js';
import { benchLstm, LSTM_SHAPE } from './lstm.js';
import { SHAPES } from './shapes.js';
import { NODE_DEFAULT_PATH } from './kconv-paths.js';
import { benchBrowser } from './browser.js';
import type { PageResult } from './browser/page.js';

/** Ids of the Conv1D shapes: a … f. */


export const SHAPE_IDS = SHAPES.map((s) => s.id);

export { runBench, markdownTable, benchShape, type BenchResult, type BenchOptions } from './conv.js';
export { benchLoad, conv1dStack, type LoadBenchResult } from './load.js';
export { benchModel, defaultModelCases, type ModelBenchResult, type ModelCase } from './model.js';

export interface BenchmarkOptions {
  /** One small shape, short budgets, a small load model: seconds instead of minutes. */
  quick?: boolean;
  /** Conv1D shape ids to run (default: all, or `f` with quick). */
  shapes?: string[];
  /** Seconds of timing per shape and for the model. */
  budgetSeconds?: number;
  /** The end-to-end models (default: the Keras 3 TCN and CNN-LSTM fixtures, those present). */
  modelCases?: ModelCase[];
  /** Also run the models in headless Chromium (default: yes, except with quick). */
  browser?: boolean;
  log?: (line: string) => void;
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
  /** 1-minute load average before and after the run (other processes on the machine). */
  loadBefore: number[];
  loadAfter: number[];
}

export interface BenchmarkReport {
  date: string;
  machine: Machine;
  conv: BenchResult[];
  /** The LSTM row (B8 L512 64→128, return_sequences; empty with quick). */
  lstm: BenchResult[];
  /** Every whole-model row (each names its model). */
  model: ModelBenchResult[];
  /** The same models in headless Chromium, kconv and tfjs-wasm in one page (null: not run). */
  browser: PageResult | null;
  load: LoadBenchResult[];
  /** Peers left out and other things a reader of the numbers must know. */
  notes: string[];
}

/** One row of `--json`: a shape (or model, or load) and a runtime. gflops is null for load rows. */
export interface BenchJsonRow {
  shape: string;
  runtime: string;
  medianMs: number;
  gflops: number | null;
}

export async function runBenchmark(opts: BenchmarkOptions = {}): Promise<BenchmarkReport> {
  const notes = new Set<string>();
  const log = (line: string) => {
    if (/skipped$|DISAGREES|does not match/.test(line)) {
      if (!notes.has(line)) opts.log?.(line);
      notes.add(line);
    } else opts.log?.(line);
  };
  const quick = opts.quick === true;
  const budgetSeconds = opts.budgetSeconds ?? (quick ? 0.3 : 4);
  const loadBefore = loadavg();
  try {
    const conv = await runBench({ shapes: opts.shapes ?? (quick ? ['f'] : undefined), budgetSeconds, log });
    let lstm: BenchResult[] = [];
    if (quick) notes.add('LSTM row: left out with --quick (a full run times it)');
    else {
      log(`shape ${LSTM_SHAPE.id}: ${LSTM_SHAPE.note}`);
      lstm = await benchLstm({ budgetSeconds, log });
    }
    let model: ModelBenchResult[] = [];
    let browser: PageResult | null = null;
    const modelCases = (opts.modelCases ?? defaultModelCases()).map((c) => ({ caseDir: c.caseDir, timing: quick ? c.quickTiming : c.timing }));
    for (const c of modelCases) {
      log(`model ${c.caseDir}`);
      model.push(...(await benchModel({ ...c, budgetSeconds, log })));
    }
    if (modelCases.length && (opts.browser ?? !quick)) {
      log('models in headless Chromium');
      browser = await benchBrowser({ cases: modelCases, budgetSeconds, shapes: opts.shapes ?? SHAPES.map((x) => x.id), log });
    }
    if (!modelCases.length) notes.add('end-to-end models: the fixtures are not here (fixtures/ is in the repository, not in the npm package), skipped');
    log('load time');
    const load = await benchLoad({ layers: quick ? 2 : 13, reps: quick ? 3 : 15, log });
    const c = cpus();
    return {
      date: new Date().toISOString().slice(0, 10),
      machine: { cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length, node: process.version, platform: platform(), loadBefore, loadAfter: loadavg() },
      conv,
      lstm,
      model,
      browser,
      load,
      notes: [...notes],
    };
  } finally {
    await defaultThreadPool().close();
  }
}

export function benchJson(r: BenchmarkReport): BenchJsonRow[] {
  return [
    ...[...r.conv, ...r.lstm].map(({ shape, runtime, medianMs, gflops }) => ({ shape, runtime, medianMs, gflops })),
    ...r.model.map((m) => ({ shape: m.model, runtime: m.runtime, medianMs: m.medianMs, gflops: m.gflops })),
    ...(r.browser?.models ?? []).flatMap((m) => m.results.map((b) => ({ shape: `${m.model} in Chromium`, runtime: b.runtime, medianMs: b.medianMs, gflops: null }))),
    ...r.load.flatMap((l) => [
      { shape: `load ${l.format} ${mb(l.fileBytes)}`, runtime: 'kconv (bytes → ready plan)', medianMs: l.loadMs, gflops: null },
      ...(l.h5wasmMs === null ? [] : [{ shape: `load ${l.format} ${mb(l.fileBytes)}`, runtime: 'h5wasm alone', medianMs: l.h5wasmMs, gflops: null }]),
    ]),
  ];
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const ms = (x: number) => (x < 0.1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(x < 10 ? 3 : 1)} ms`);
const fix = (x: number) => x.toFixed(2);

interface TargetRow {
  target: string;
  result: string;
  met: string;
}

/** The issue-16 targets, checked against this run's numbers ('—' where a runtime is missing). */
export function targetRows(r: BenchmarkReport): TargetRow[] {
  const t = (shape: string, runtime: string) => r.conv.find((x) => x.shape === shape && x.runtime === runtime)?.medianMs;
  const shapes = [...new Set(r.conv.map((x) => x.shape))];
  const ratios = (kconv: string, peer: string, only = shapes) =>
    only.map((s) => {
      const a = t(s, kconv);
      const b = t(s, peer);
      return { s, v: a && b ? b / a : null };
    });
  const rowFor = (target: string, list: { s: string; v: number | null }[], min: number): TargetRow => {
    if (list.length === 0) return { target, result: 'shape not run', met: '—' };
    const known = list.filter((x) => x.v !== null);
    const met = known.filter((x) => x.v! >= min).map((x) => `(${x.s})`);
    return {
      target,
      result: list.map((x) => `(${x.s}) ${x.v === null ? '—' : `${fix(x.v)}×`}`).join(', '),
      met: known.length === 0 ? '— (peer missing)' : met.length === list.length ? 'yes' : met.length ? `${met.join(' ')} only` : 'no',
    };
  };
  const modelRow = (target: string, rows: { runtime: string; medianMs: number }[], isKconv: (runtime: string) => boolean): TargetRow => {
    const k = rows.find((x) => isKconv(x.runtime));
    const peer = rows.find((x) => x.runtime === 'tfjs-wasm');
    if (!k || !peer) return { target, result: rows.length ? 'a runtime is missing' : 'not run', met: '—' };
    const v = peer.medianMs / k.medianMs;
    return { target, result: `${k.runtime} ${ms(k.medianMs)} vs tfjs-wasm ${ms(peer.medianMs)}: ${fix(v)}×`, met: v >= 1.5 ? 'yes' : 'no' };
  };
  const models = [...new Set([...r.model.map((x) => x.model), ...(r.browser?.models ?? []).map((m) => m.model)])];
  const rows: TargetRow[] = [
    ...models.flatMap((m) => [
      modelRow(`whole model ${m} ≥ 1.5× tfjs-wasm in Node`, r.model.filter((x) => x.model === m), (x) => x.endsWith('(default)')),
      modelRow(`whole model ${m} ≥ 1.5× tfjs-wasm in Chromium`, r.browser?.models.find((x) => x.model === m)?.results ?? [], (x) => x.endsWith('default)')),
    ]),
    rowFor('default ≥ 1.5× tfjs-wasm on every shape', ratios(NODE_DEFAULT_PATH, 'tfjs-wasm'), 1.5),
    rowFor('default ≥ 1/2 of ort-2t on (b)–(d)', ratios(NODE_DEFAULT_PATH, 'ort-2t', shapes.filter((s) => 'bcd'.includes(s))), 1 / 2),
  ];
  const f = t('f', NODE_DEFAULT_PATH);
  if (f !== undefined) rows.push({ target: '(f) ≤ 10 µs per call', result: ms(f), met: f <= 0.01 ? 'yes' : 'no' });
  for (const l of r.load) {
    if (l.h5wasmMs === null) {
      rows.push({
        target: `\`${l.format}\` ready plan of a 10 MB model ≤ 5 ms`,
        result: `${mb(l.fileBytes)}: ready plan ${ms(l.loadMs)} (load alone ${ms(l.parseMs)})`,
        met: l.loadMs <= 5 ? 'yes' : 'no',
      });
    } else {
      const ratio = l.parseMs / l.h5wasmMs;
      rows.push({
        target: `\`${l.format}\` load ≤ 3× h5wasm alone`,
        result: `${mb(l.fileBytes)}: load ${ms(l.parseMs)} vs h5wasm ${ms(l.h5wasmMs)}: ${fix(ratio)}× (ready plan ${ms(l.loadMs)}: ${fix(l.loadMs / l.h5wasmMs)}×)`,
        met: ratio <= 3 ? 'yes' : 'no',
      });
    }
  }
  return rows;
}

export function benchMarkdown(r: BenchmarkReport): string {
  const m = r.machine;
  const la = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ');
  const out: string[] = [];
  out.push(`Run of ${r.date}: ${m.cpu} (${m.cores} cores), Node ${m.node}, ${m.platform}; load average (1/5/15 min) ${la(m.loadBefore)} before, ${la(m.loadAfter)} after.`);
  out.push('');
  out.push('#### Conv1D shapes');
  out.push('');
  out.push(markdownTable(r.conv));
  out.push('');
  out.push('Ratios are peer time / kconv time (higher is better for kconv).');
  if (r.lstm.length) {
    const peer = (name: string) => r.lstm.find((x) => x.runtime === name);
    out.push('');
    out.push(`#### ${LSTM_SHAPE.note}`);
    out.push('');
    out.push('| runtime | median | GFLOP/s | tfjs-wasm / this |');
    out.push('|---|---:|---:|---:|');
    for (const x of r.lstm) out.push(`| ${x.runtime} | ${ms(x.medianMs)} | ${x.gflops.toFixed(2)} | ${peer('tfjs-wasm') ? `${fix(peer('tfjs-wasm')!.medianMs / x.medianMs)}×` : '—'} |`);
  }
  for (const label of [...new Set(r.model.map((x) => x.model))]) {
    const rows = r.model.filter((x) => x.model === label);
    const cpu = rows.find((x) => x.runtime === 'tfjs-cpu');
    const wasm = rows.find((x) => x.runtime === 'tfjs-wasm');
    out.push('');
    out.push(`#### Whole model end to end: ${label}`);
    out.push('');
    out.push('| runtime | median | GFLOP/s (Conv1D + recurrent FLOPs) | tfjs-cpu / this | tfjs-wasm / this |');
    out.push('|---|---:|---:|---:|---:|');
    for (const x of rows) {
      out.push(`| ${x.runtime} | ${ms(x.medianMs)} | ${x.gflops.toFixed(x.gflops < 1 ? 2 : 1)} | ${cpu ? `${fix(cpu.medianMs / x.medianMs)}×` : '—'} | ${wasm ? `${fix(wasm.medianMs / x.medianMs)}×` : '—'} |`);
    }
  }
  if (r.browser) {
    const b = r.browser;
    out.push('');
    out.push(`#### The same models in headless Chromium (${b.env.userAgent.match(/HeadlessChrome\/[\d.]+/)?.[0] ?? 'Chromium'}, crossOriginIsolated ${b.env.crossOriginIsolated}, ${b.env.hardwareConcurrency} cores; kconv kernel ${b.env.kconvKernel}, tfjs backend ${b.env.tfjsBackend})`);
    for (const m of b.models) {
      const wasm = m.results.find((x) => x.runtime === 'tfjs-wasm');
      out.push('');
      out.push(`${m.model}:`);
      out.push('');
      out.push('| runtime | median | tfjs-wasm / this |');
      out.push('|---|---:|---:|');
      for (const x of m.results) out.push(`| ${x.runtime} | ${ms(x.medianMs)} | ${wasm ? `${fix(wasm.medianMs / x.medianMs)}×` : '—'} |`);
    }
    if (b.shapes.length) {
      const runtimes = [...new Set(b.shapes.map((x) => x.runtime))];
      out.push('');
      out.push('Conv1D shapes in the same page (tfjs-wasm / kconv in brackets):');
      out.push('');
      out.push(`| shape | ${runtimes.join(' | ')} |`);
      out.push(`|---|${runtimes.map(() => '---:').join('|')}|`);
      for (const id of [...new Set(b.shapes.map((x) => x.shape))]) {
        const peer = b.shapes.find((x) => x.shape === id && x.runtime === 'tfjs-wasm');
        const cells = runtimes.map((rt) => {
          const x = b.shapes.find((y) => y.shape === id && y.runtime === rt);
          if (!x) return '—';
          return rt === 'tfjs-wasm' || !peer ? ms(x.medianMs) : `${ms(x.medianMs)} (${fix(peer.medianMs / x.medianMs)}×)`;
        });
        out.push(`| (${id}) | ${cells.join(' | ')} |`);
      }
    }
  }
  if (r.load.length) {
    out.push('');
    out.push(`#### Load time: bytes in memory → ready plan (Conv1D stack, ${mb(r.load[0].weightBytes)} of weights)`);
    out.push('');
    out.push('| format | file | `load` | `load` + `compile` (ready plan) | h5wasm alone (open + read every dataset) | ready / h5wasm |');
    out.push('|---|---:|---:|---:|---:|---:|');
    for (const l of r.load) {
      out.push(`| ${l.format} | ${mb(l.fileBytes)} | ${ms(l.parseMs)} | ${ms(l.loadMs)} | ${l.h5wasmMs === null ? '—' : ms(l.h5wasmMs)} | ${l.h5wasmMs === null ? '—' : `${fix(l.loadMs / l.h5wasmMs)}×`} |`);
    }
  }
  out.push('');
  out.push('#### Performance targets, from this run');
  out.push('');
  out.push('| target | result | met? |');
  out.push('|---|---|---|');
  for (const t of targetRows(r)) out.push(`| ${t.target} | ${t.result} | ${t.met} |`);
  if (r.notes.length) {
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
  }
  return out.join('\n');
}
