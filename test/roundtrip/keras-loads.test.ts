/**
 * Tier (b): files kconv writes are loaded by the real Keras of each target (the fixture
 * environments' venvs) and must compute the same thing: `predict` on the fixture input matches
 * the fixture's expected output within `close`, and every weight Keras holds equals the source
 * weight bit for bit.
 *
 * Runs when KCONV_PY_TIER=1 or CI=true; under CI a missing venv is a failure, never a skip. It
 * loads a covering design of (source, writer) pairs (see 'The covering design' below); KCONV_PY_TIER_FULL=1
 * loads every pair. KCONV_CASE_FILTER=<regex> keeps only the sources whose `<env>/<case dir>` matches
 * (test/roundtrip/support.ts), e.g. KCONV_CASE_FILTER=model-activation-object or '^tcn-'.
 * One Python process per environment loads every file (importing TensorFlow is slow). A file
 * holding keras-tcn's TCN loads in the `tcn-<env>` twin of its target's env (the base env plus
 * keras-tcn), where keras_load.py passes the class as a custom object.
 * Prints the matrix sources × targets with pass counts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/graph.js';
import { tensorsIdentical } from '../../src/tensor.js';
import { saveWithReport } from '../../src/keras/write/save.js';
import { layerWeights } from '../../src/keras/emit/layers.js';
import { emitModel, type EmittedLayer } from '../../src/keras/emit/model.js';
import { isExpanded } from '../../src/keras/expanded-layers.js';
import type { Target } from '../../src/keras/targets.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { ROOT } from '../helpers/paths.js';
import { toFloat32 } from '../../src/tensor.js';
import { architectureFor, kerasBackendOf, readMatrix, readNpyFile, readSourceAsUser, refusedOutcome, sourceCases, targetKey, venvFor, WRITE_TARGETS, type SourceCase, type WriteTarget } from './support.js';

const enabled = process.env.KCONV_PY_TIER === '1' || process.env.CI === 'true';
const EXT: Record<string, string> = { 'keras-h5': 'model.h5', 'keras-h5-weights': 'weights.h5', 'keras-v3': 'model.keras', 'keras-v3-weights': 'model.weights.h5' };

interface Job {
  id: string;
  model: string;
  kind: 'model' | 'weights';
  architecture?: string;
  inputs: string[];
  out: string;
  source: SourceCase;
  graph: Graph;
  wt: WriteTarget;
}

/** The graph's weights per Keras layer name, in the target Keras's variable order. */
function weightsByLayer(graph: Graph, target: Target): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // a layer written whole from its expanded parts (keras-tcn's TCN): its writer's order for the target
  const walk = (layers: EmittedLayer[]) => {
    for (const l of layers) {
      if (l.children) walk(l.children);
      else if (l.groups) out.set(l.name, l.weights.map((w) => w.key));
    }
  };
  if (graph.nodes.some(isExpanded)) walk(emitModel(graph, target, target.family === 'keras3' ? 'saving_lib' : 'legacy').layers);
  for (const n of graph.nodes) {
    const layer = n.keras?.layerName ?? n.name;
    if (out.has(layer)) continue; // shared layers: every call holds the same weights
    out.set(layer, layerWeights(n).map((w) => w.key));
  }
  return out;
}

/**
 * The env whose Keras loads a file for `wt`: a file holding keras-tcn's TCN needs the keras-tcn
 * package, which the `tcn-<env>` environments add to their base env (when one exists for it).
 */
function loaderEnv(graph: Graph, wt: WriteTarget & { env: string }): string {
  const tcn = graph.nodes.some((n) => n.keras?.expandedFrom === 'TCN');
  return tcn && existsSync(join(ROOT, 'fixtures', 'generate', 'requirements', `tcn-${wt.env}.txt`)) ? `tcn-${wt.env}` : wt.env;
}

/** Files TF 2.0 loaded but could not run on the CPU (channels_first convolutions). */
const unpredictable = { count: 0 };

function checkJob(job: Job): string | null {
  const resultFile = join(job.out, 'result.json');
  if (!existsSync(resultFile)) return 'no result (the Python process died before this job)';
  const r = JSON.parse(readFileSync(resultFile, 'utf8'));
  if (!r.ok) return `Keras could not load/predict: ${r.error}`;
  const expected = job.source.expected.map(readNpyFile);
  if (r.unpredictable) {
    // TF 2.0 (tf.keras 2.2.4-tf) cannot run a channels_first convolution on the CPU, so its
    // predict fails; the file loaded, and its weights are still compared below.
    const cpuCannot = job.wt.env === 'tf2.0' && job.graph.nodes.some((n) => (n.attrs as { layout?: string }).layout === 'NCW');
    if (!cpuCannot) return `Keras loaded the file but could not predict: ${r.unpredictable}`;
    unpredictable.count++;
  } else if (r.outputs.length !== expected.length) return `${r.outputs.length} outputs, expected ${expected.length}`;
  const tol = tolerance(job.source.tolerance);
  for (let i = 0; i < (r.unpredictable ? 0 : expected.length); i++) {
    const got = readNpyFile(join(job.out, r.outputs[i]));
    if (got.shape.join(',') !== expected[i].shape.join(',')) return `output ${i}: shape [${got.shape}] vs expected [${expected[i].shape}]`;
    const cmp = compareArrays(toFloat32(got), toFloat32(expected[i]), tol);
    if (!cmp.pass) return `output ${i}: ${cmp.message}`;
  }
  // Weights: Keras's layer.weights, in order, against the source graph's, bit for bit.
  const byLayer = weightsByLayer(job.graph, job.wt.target);
  const seen = new Map<string, number>();
  let matched = 0;
  for (const w of r.weights as { layer: string; name: string; file: string }[]) {
    const keys = byLayer.get(w.layer);
    const i = seen.get(w.layer) ?? 0;
    seen.set(w.layer, i + 1);
    const key = keys?.[i];
    if (!key) return `Keras holds weight #${i} '${w.name}' of layer '${w.layer}', which the source graph does not have`;
    const got = readNpyFile(join(job.out, w.file));
    if (!tensorsIdentical(got, job.graph.weights.get(key)!)) return `weight '${w.layer}/${w.name}' differs from the source ('${key}')`;
    matched++;
  }
  const total = [...byLayer.values()].reduce((n, k) => n + k.length, 0);
  if (matched !== total) return `Keras holds ${matched} weights, the source has ${total}`;
  return null;
}

/*
 * The covering design. A model is a case name without its format suffix (model-tcn--h5 and
 * model-tcn--keras are one model; the conv1d-* covering design of Conv1D options differs per env).
 * For each writer, every model is written once, from the first of its sources (rotated by the
 * writer's index, so that the envs holding a model take turns) that the writer accepts; then every
 * source row (env and format) the models missed gets one case of its own. Every refusal met on
 * the way is asserted against the committed matrix.
 */
const rowOf = (c: SourceCase) => `${c.env} ${c.format}`;
const modelOf = (c: SourceCase) => c.id.split('/')[1].replace(/--.*$/, '');

function groupBy(cases: SourceCase[], key: (c: SourceCase) => string): Map<string, SourceCase[]> {
  const out = new Map<string, SourceCase[]>();
  for (const c of cases) out.set(key(c), [...(out.get(key(c)) ?? []), c]);
  return out;
}
const byModel = (cases: SourceCase[]) => [...groupBy(cases, modelOf).values()];
const byRow = (cases: SourceCase[]) => groupBy(cases, rowOf);
function rotate<T>(list: T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** The (source, writer) pairs listed under "Failures:" in the last run's test/roundtrip/last-matrix.md. */
function lastFailures(): { id: string; target: string }[] {
  const file = join(ROOT, 'test', 'roundtrip', 'last-matrix.md');
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const section = text.slice(text.indexOf('\nFailures:\n'), text.indexOf('\nRefusals'));
  return [...section.matchAll(/^- (\S+) → (\S+ \S+): /gm)].map((m) => ({ id: m[1], target: m[2] }));
}

describe.runIf(enabled)('files written by kconv load in real Keras and compute the same thing', () => {
  it('every golden model × every target it can be written to', async () => {
    // Every (source, writer) pair is ~19,000 files, over an hour on two cores: that is
    // KCONV_PY_TIER_FULL=1. By default the tier loads a covering design (coveringPairs): every
    // model reaches every writer, and every source env and format reaches every writer.
    const cases = sourceCases();
    expect(cases.length, 'golden cases are needed for this tier').toBeGreaterThan(0);
    const work = mkdtempSync(join(tmpdir(), 'kconv-pytier-'));
    const jobsByEnv = new Map<string, Job[]>();
    const refused = new Map<string, number>();
    const refusals = new Set<string>();
    const committed = readMatrix();
    const unexpected: string[] = [];
    const expectOutcome = (c: SourceCase, wt: WriteTarget, outcome: string) => {
      const want = committed.get(`${c.id} → ${targetKey(wt)}`) ?? 'written';
      if (want !== outcome) unexpected.push(`${c.id} → ${targetKey(wt)}: ${outcome}, the committed matrix says ${want}`);
    };
    const matrixKey = (c: SourceCase, wt: WriteTarget) => [`${c.env} ${c.format}`, `${wt.target.id} ${wt.format}`] as const;
    try {
      let n = 0;
      const graphs = new Map<string, Graph>();
      const graphOf = async (c: SourceCase) => graphs.get(c.id) ?? graphs.set(c.id, await readSourceAsUser(c)).get(c.id)!;
      /** Writes c for wt and queues the file for its env; false when the writer refuses (asserted against the matrix). */
      const tryPair = async (c: SourceCase, wt: WriteTarget & { env: string }): Promise<boolean> => {
        const graph = await graphOf(c);
        let bytes: Uint8Array;
        try {
          bytes = (await saveWithReport(graph, { format: wt.format, target: wt.target })).bytes;
          expectOutcome(c, wt, 'written');
        } catch (e) {
          if (!isKconvError(e) || e.code !== 'NOT_REPRESENTABLE') throw e;
          expectOutcome(c, wt, refusedOutcome(e.message));
          const k = matrixKey(c, wt).join(' → ');
          refused.set(k, (refused.get(k) ?? 0) + 1);
          refusals.add(`${c.id.split('/')[1]} → ${wt.target.id}: ${e.message}`);
          return false;
        }
        const dir = join(work, String(n++));
        mkdirSync(dir, { recursive: true });
        const model = join(dir, EXT[wt.format]);
        writeFileSync(model, bytes);
        const job: Job = { id: `${c.id} → ${wt.target.id} ${wt.format}`, model, kind: 'model', inputs: c.inputs, out: join(dir, 'out'), source: c, graph, wt };
        if (wt.format === 'keras-h5-weights' || wt.format === 'keras-v3-weights') {
          job.kind = 'weights';
          job.architecture = join(dir, 'architecture.json');
          writeFileSync(job.architecture, architectureFor(graph, wt));
        }
        const env = loaderEnv(graph, wt);
        const list = jobsByEnv.get(env) ?? [];
        list.push(job);
        jobsByEnv.set(env, list);
        return true;
      };
      const writers = WRITE_TARGETS.filter((wt): wt is WriteTarget & { env: string } => wt.env !== null);
      if (process.env.KCONV_PY_TIER_FULL === '1') {
        for (const c of cases) for (const wt of writers) await tryPair(c, wt);
      } else if (process.env.KCONV_PY_TIER_FAILED === '1') {
        // for development: only the pairs that failed in the last run (test/roundtrip/last-matrix.md)
        for (const { id, target } of lastFailures()) {
          const c = cases.find((x) => x.id === id);
          const wt = writers.find((w) => `${w.target.id} ${w.format}` === target);
          if (c && wt) await tryPair(c, wt);
        }
      } else {
        for (const [wi, wt] of writers.entries()) {
          const reached = new Set<string>();
          for (const [mi, candidates] of byModel(cases).entries()) {
            for (const c of rotate(candidates, wi + mi)) {
              if (await tryPair(c, wt)) {
                reached.add(rowOf(c));
                break;
              }
            }
          }
          for (const [row, rowCases] of byRow(cases)) {
            if (reached.has(row)) continue;
            for (const c of rotate(rowCases, wi)) if (await tryPair(c, wt)) break;
          }
        }
      }
      const selected = [...jobsByEnv.values()].reduce((k, jobs) => k + jobs.length, 0);
      const mode = process.env.KCONV_PY_TIER_FULL === '1' ? 'every pair' : process.env.KCONV_PY_TIER_FAILED === '1' ? 'the last run\'s failures' : 'covering design';
      console.log(`Keras-loads tier: ${selected} files written for ${writers.length} writers from ${cases.length} sources (${mode})`);
      expect(selected, 'the tier must load files').toBeGreaterThan(0);
      // Two Python processes at a time (the CI machine has two cores).
      const queue = [...jobsByEnv.entries()];
      const runEnv = async ([env, jobs]: [string, Job[]]) => {
        const venv = venvFor(env);
        const jobsFile = join(work, `jobs-${env}.json`);
        writeFileSync(jobsFile, JSON.stringify(jobs.map(({ id, model, kind, architecture, inputs, out }) => ({ id, model, kind, architecture, inputs, out }))));
        const envVars = {
          ...process.env,
          TF_CPP_MIN_LOG_LEVEL: '2',
          CUDA_VISIBLE_DEVICES: '',
          KCONV_USE_TF_KERAS: env.startsWith('tfkeras') ? '1' : '0',
          KCONV_KERAS_MODULE: env === 'tf1.13' || env === 'tf2.0' ? 'tf.keras' : 'keras',
          // multi-backend Keras 3: the backend its requirements file names (`# keras-backend: jax`)
          KERAS_BACKEND: kerasBackendOf(env),
        };
        await new Promise<void>((resolve, reject) => {
          const child = spawn(join(venv, 'bin', 'python'), [join(ROOT, 'test', 'roundtrip', 'keras_load.py'), jobsFile], { env: envVars, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
          child.on('error', reject);
          child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${env}: keras_load.py exited with ${code}: ${stderr}`))));
        });
      };
      const workers = [0, 1].map(async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await runEnv(next);
      });
      await Promise.all(workers);
      // The matrix: rows = source env/format, columns = target/format; cells pass/total.
      const cells = new Map<string, { pass: number; total: number }>();
      const failures: string[] = [];
      for (const jobs of jobsByEnv.values()) {
        for (const job of jobs) {
          const k = matrixKey(job.source, job.wt).join(' → ');
          const cell = cells.get(k) ?? { pass: 0, total: 0 };
          cells.set(k, cell);
          cell.total++;
          const problem = checkJob(job);
          if (problem === null) cell.pass++;
          else failures.push(`${job.id}: ${problem}`);
        }
      }
      const rows = [...new Set([...cells.keys(), ...refused.keys()].map((k) => k.split(' → ')[0]))].sort();
      const cols = WRITE_TARGETS.filter((t) => t.env).map((t) => `${t.target.id} ${t.format}`);
      const lines = [`| source \\ target | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`];
      for (const r of rows) {
        lines.push(`| ${r} | ${cols.map((c) => {
          const cell = cells.get(`${r} → ${c}`);
          const ref = refused.get(`${r} → ${c}`);
          return `${cell ? `${cell.pass}/${cell.total}` : '–'}${ref ? ` (${ref} refused)` : ''}`;
        }).join(' | ')} |`);
      }
      const total = [...cells.values()].reduce((a, c) => ({ pass: a.pass + c.pass, total: a.total + c.total }), { pass: 0, total: 0 });
      const report =
        `files written by kconv, loaded by real Keras: ${total.pass}/${total.total} pass ` +
        `(${unpredictable.count} of them loaded with equal weights in TF 2.0, which cannot run channels_first on the CPU)\n${lines.join('\n')}`;
      console.log(report);
      writeFileSync(join(ROOT, 'test', 'roundtrip', 'last-matrix.md'), `${report}\n\nFailures:\n${failures.map((f) => `- ${f}`).join('\n')}\n\nRefusals (NOT_REPRESENTABLE):\n${[...refusals].sort().map((f) => `- ${f}`).join('\n')}\n`);
      expect(failures).toEqual([]);
      expect(unexpected, 'writer outcomes differ from test/roundtrip/expected-matrix.md').toEqual([]);
    } finally {
      if (process.env.KCONV_KEEP_PYTIER !== '1') rmSync(work, { recursive: true, force: true });
    }
  }, 1_800_000);
});
