/**
 * The fuzz driver: plans N cases deterministically from a run seed, runs them in a pool of worker
 * processes with a per-case time limit and memory cap, and tallies the outcomes.
 *
 * Why processes and not worker threads: a case that hangs inside WebAssembly or exhausts memory
 * must be stopped without taking the run down. SIGKILL always stops a process; the run then
 * records a hang (over the time limit) or an out-of-memory (V8 heap limit hit, or resident memory
 * over the cap) for that case and starts a fresh worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../helpers/paths.js';
import { Rng } from './bytes-util.js';
import type { FromChild, ToChild } from './child.js';
import { KINDS_BY_FORMAT, type MutationKind } from './mutate.js';
import { collectSeeds, FORMAT_WEIGHTS, SEED_FORMATS, type Seed, type SeedFormat } from './seeds.js';
import type { Outcome } from './target.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  workers?: number;
  /** A case over this many milliseconds is a hang. */
  timeoutMs?: number;
  /** A case whose worker's resident memory peaks over this is an out-of-memory. */
  memoryCapMb?: number;
  /** V8 heap limit of each worker (a heap OOM kills the worker: recorded as out-of-memory). */
  heapMb?: number;
  /** Called with each finished case (progress, saving failures). */
  onResult?: (r: CaseResult) => void;
}

export interface CaseRecipe {
  index: number;
  seedId: string;
  seedIndex: number;
  format: SeedFormat;
  kind: MutationKind;
  caseSeed: number;
}

export type FailureKind = 'crash' | 'hang' | 'oom' | 'worker-died';

export interface CaseResult extends CaseRecipe {
  outcome: Outcome | { status: FailureKind; message: string };
  ms: number;
  peakRssMb: number;
  note: string;
}

export interface FuzzReport {
  cases: number;
  seeds: number;
  failures: CaseResult[];
  /** outcome tallies per format and per kind: ok / error / ran (predict ran) / failures */
  byFormat: Record<string, Tally>;
  byKind: Record<string, Tally>;
  codes: Record<string, number>;
  longest: { ms: number; recipe?: CaseRecipe; note?: string };
  peakRssMb: number;
  wallMs: number;
}

export interface Tally {
  cases: number;
  ok: number;
  ran: number;
  error: number;
  failed: number;
}

/** Bundles the worker (TypeScript) into one ESM file; node_modules stay external. */
export async function buildWorker(): Promise<string> {
  const outdir = join(ROOT, 'node_modules', '.cache', 'kconv-fuzz');
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'child.mjs');
  await build({
    entryPoints: [join(ROOT, 'test', 'fuzz', 'child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    define: { 'import.meta.url': JSON.stringify(`file://${join(ROOT, 'test', 'fuzz', 'child.ts')}`) },
  });
  return outfile;
}

/** Case i of a run: format uniformly, then a mutation kind by weight, then a seed of that format. */
export function planCase(seeds: Seed[], runSeed: number, index: number): CaseRecipe {
  const caseSeed = (Math.imul(runSeed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  const rng = new Rng(caseSeed);
  const formats = SEED_FORMATS.filter((f) => seeds.some((s) => s.format === f));
  const format = weightedPick(rng, formats.map((f) => [f, FORMAT_WEIGHTS[f]] as const));
  const kind = weightedPick(rng, Object.entries(KINDS_BY_FORMAT[format]) as [MutationKind, number][]);
  const candidates = seeds.map((s, i) => [s, i] as const).filter(([s]) => s.format === format);
  const [seed, seedIndex] = rng.pick(candidates);
  return { index, seedId: seed.id, seedIndex, format, kind, caseSeed: rng.int(0, 0xffffffff) };
}

function weightedPick<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  let r = rng.next() * items.reduce((a, [, w]) => a + w, 0);
  for (const [item, w] of items) if ((r -= w) < 0) return item;
  return items[items.length - 1][0];
}

function vmRssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 2000;
  const memoryCapMb = options.memoryCapMb ?? 1536;
  const heapMb = options.heapMb ?? 1024;
  const workers = options.workers ?? 2;
  const seeds = await collectSeeds();
  if (seeds.length === 0) throw new Error('no fuzz seeds: neither fixtures/cases nor the shared corpus is present');
  const workerFile = await buildWorker();

  const report: FuzzReport = { cases: 0, seeds: seeds.length, failures: [], byFormat: {}, byKind: {}, codes: {}, longest: { ms: 0 }, peakRssMb: 0, wallMs: 0 };
  const tally = (table: Record<string, Tally>, key: string, r: CaseResult) => {
    const t = (table[key] ??= { cases: 0, ok: 0, ran: 0, error: 0, failed: 0 });
    t.cases++;
    if (r.outcome.status === 'ok') {
      t.ok++;
      if ('ran' in r.outcome && r.outcome.ran) t.ran++;
    } else if (r.outcome.status === 'error') t.error++;
    else t.failed++;
  };
  const record = (r: CaseResult) => {
    report.cases++;
    tally(report.byFormat, r.format, r);
    tally(report.byKind, r.kind, r);
    if (r.outcome.status === 'error' && 'code' in r.outcome && r.outcome.code) report.codes[r.outcome.code] = (report.codes[r.outcome.code] ?? 0) + 1;
    if (r.outcome.status !== 'ok' && r.outcome.status !== 'error') report.failures.push(r);
    if (r.ms > report.longest.ms) report.longest = { ms: r.ms, recipe: r, note: r.note };
    report.peakRssMb = Math.max(report.peakRssMb, r.peakRssMb);
    options.onResult?.(r);
  };

  let next = 0;
  const lane = async () => {
    let worker: { proc: ChildProcess; ready: Promise<void> } | undefined;
    const spawnWorker = () => {
      const proc = fork(workerFile, [], {
        execArgv: [`--max-old-space-size=${heapMb}`],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      proc.stderr?.resume();
      const ready = new Promise<void>((resolve, reject) => {
        proc.once('message', (m: FromChild) => (m.type === 'ready' ? resolve() : reject(new Error('worker did not start'))));
        proc.once('exit', (code) => reject(new Error(`fuzz worker exited during start-up (code ${code})`)));
      });
      proc.send({ type: 'seeds', seeds } satisfies ToChild);
      return { proc, ready };
    };
    try {
      while (next < options.cases) {
        const recipe = planCase(seeds, options.seed, next++);
        worker ??= spawnWorker();
        await worker.ready;
        const w = worker;
        const result = await new Promise<CaseResult>((resolve) => {
          let stderr = '';
          const onErr = (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000));
          w.proc.stderr?.on('data', onErr);
          const t0 = performance.now();
          const finish = (r: Omit<CaseResult, keyof CaseRecipe>) => {
            clearTimeout(timer);
            clearInterval(watch);
            w.proc.off('message', onMessage);
            w.proc.off('exit', onExit);
            w.proc.stderr?.off('data', onErr);
            resolve({ ...recipe, ...r });
          };
          const kill = (status: FailureKind, message: string) => {
            w.proc.off('exit', onExit);
            w.proc.kill('SIGKILL');
            worker = undefined;
            finish({ outcome: { status, message }, ms: performance.now() - t0, peakRssMb: 0, note: '' });
          };
          const timer = setTimeout(() => kill('hang', `no result within ${timeoutMs} ms`), timeoutMs);
          const watch = setInterval(() => {
            const rss = vmRssMb(w.proc.pid!);
            if (rss > memoryCapMb) kill('oom', `resident memory ${rss.toFixed(0)} MB over the ${memoryCapMb} MB cap`);
          }, 50);
          const onMessage = (m: FromChild) => {
            if (m.type !== 'result') return;
            const over = m.peakRssMb > memoryCapMb;
            finish({
              outcome: over ? { status: 'oom', message: `peak resident memory ${m.peakRssMb.toFixed(0)} MB over the ${memoryCapMb} MB cap` } : m.outcome,
              ms: m.ms,
              peakRssMb: m.peakRssMb,
              note: m.note,
            });
          };
          const onExit = (code: number | null, signal: string | null) => {
            worker = undefined;
            const heapOom = /heap out of memory|Allocation failed/i.test(stderr);
            finish({
              outcome: { status: heapOom ? 'oom' : 'worker-died', message: `worker exited (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-6).join(' | ')}` },
              ms: performance.now() - t0,
              peakRssMb: 0,
              note: '',
            });
          };
          w.proc.on('message', onMessage);
          w.proc.on('exit', onExit);
          w.proc.send({ type: 'case', id: recipe.index, seedIndex: recipe.seedIndex, kind: recipe.kind, caseSeed: recipe.caseSeed } satisfies ToChild);
        });
        record(result);
        // WebAssembly memory never shrinks, and plans keep their values in it: a worker that has
        // grown past half the cap over earlier cases is replaced, so that the cap measures one
        // case's memory rather than the sum of the memories the worker's earlier cases grew.
        if (worker && vmRssMb(worker.proc.pid!) > memoryCapMb / 2) {
          worker.proc.kill('SIGKILL');
          worker = undefined;
        }
      }
    } finally {
      worker?.proc.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: workers }, lane));
  report.wallMs = performance.now() - started;
  return report;
}

/** A readable summary: per format and per kind, error codes, longest case, peak memory, failures. */
export function formatReport(r: FuzzReport): string {
  const row = (k: string, t: Tally) => `  ${k.padEnd(16)} ${String(t.cases).padStart(6)} cases  ok ${String(t.ok).padStart(5)} (ran ${String(t.ran).padStart(5)})  KconvError ${String(t.error).padStart(5)}  FAILED ${t.failed}`;
  const lines = [
    `fuzz: ${r.cases} cases from ${r.seeds} seeds in ${(r.wallMs / 1000).toFixed(1)} s (${(r.cases / (r.wallMs / 1000)).toFixed(0)} cases/s)`,
    'by format:',
    ...Object.entries(r.byFormat).sort().map(([k, t]) => row(k, t)),
    'by mutation:',
    ...Object.entries(r.byKind).sort().map(([k, t]) => row(k, t)),
    `error codes: ${Object.entries(r.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`,
    `longest case: ${r.longest.ms.toFixed(0)} ms (${r.longest.recipe?.seedId} ${r.longest.recipe?.kind} ${r.longest.note ?? ''})`,
    `peak worker resident memory: ${r.peakRssMb.toFixed(0)} MB`,
    `failures: ${r.failures.length}`,
    ...r.failures.slice(0, 30).map((f) => `  [${f.outcome.status}] #${f.index} ${f.seedId} ${f.kind} seed=${f.caseSeed} ${f.note}\n    ${'message' in f.outcome ? f.outcome.message?.split('\n').join('\n    ') : ''}`),
  ];
  return lines.join('\n');
}
