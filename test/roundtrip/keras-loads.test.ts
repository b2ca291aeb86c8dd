/**
 * Tier (b): files kconv writes are loaded by the real Keras of each target (the fixture
 * environments' venvs) and must compute the same thing: `predict` on the fixture input matches
 * the fixture's expected output within `close`, and every weight Keras holds equals the source
 * weight bit for bit.
 *
 * Runs when KCONV_PY_TIER=1 or CI=true (KCONV_PY_TIER_QUICK=1 for a ~3-minute subset). Under CI a missing venv is a failure, never a skip.
 * One Python process per environment loads every file (importing TensorFlow is slow).
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
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { ROOT } from '../helpers/paths.js';
import { toFloat32 } from '../../src/tensor.js';
import { architectureFor, kerasBackendOf, readMatrix, readNpyFile, readSource, refusedOutcome, sourceCases, targetKey, venvFor, WRITE_TARGETS, type SourceCase, type WriteTarget } from './support.js';

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

/** The graph's weights per Keras layer name, in Keras's variable order. */
function weightsByLayer(graph: Graph): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const layer = n.keras?.layerName ?? n.name;
    if (out.has(layer)) continue; // shared layers: every call holds the same weights
    out.set(layer, layerWeights(n).map((w) => w.key));
  }
  return out;
}

function checkJob(job: Job): string | null {
  const resultFile = join(job.out, 'result.json');
  if (!existsSync(resultFile)) return 'no result (the Python process died before this job)';
  const r = JSON.parse(readFileSync(resultFile, 'utf8'));
  if (!r.ok) return `Keras could not load/predict: ${r.error}`;
  const expected = job.source.expected.map(readNpyFile);
  if (r.outputs.length !== expected.length) return `${r.outputs.length} outputs, expected ${expected.length}`;
  const tol = tolerance(job.source.tolerance);
  for (let i = 0; i < expected.length; i++) {
    const got = readNpyFile(join(job.out, r.outputs[i]));
    if (got.shape.join(',') !== expected[i].shape.join(',')) return `output ${i}: shape [${got.shape}] vs expected [${expected[i].shape}]`;
    const cmp = compareArrays(toFloat32(got), toFloat32(expected[i]), tol);
    if (!cmp.pass) return `output ${i}: ${cmp.message}`;
  }
  // Weights: Keras's layer.weights, in order, against the source graph's, bit for bit.
  const byLayer = weightsByLayer(job.graph);
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

describe.runIf(enabled)('files written by kconv load in real Keras and compute the same thing', () => {
  it('every golden model × every target it can be written to', async () => {
    // By default every faithful golden source through every writer (7595 files, ~9.5 minutes on
    // two cores). KCONV_PY_TIER_QUICK=1 selects a subset (~2900 files, ~3 minutes):
    // - every real-shaped model (model-*) and TF1 checkpoint from every env, in one model format
    //   per env (.h5 for Keras 2 envs, .keras for Keras 3 envs), through every writer;
    // - the single-Conv1D covering design (conv1d-*, the same models in every env) from tf2.15
    //   through every model-file writer, and from keras3 through the Keras 2 writers and the
    //   oldest Keras 3 one (the directions that translate configs).
    const all = process.env.KCONV_PY_TIER_QUICK !== '1';
    const isConv = (c: SourceCase) => /\/conv1d-/.test(c.id);
    const keras3Env = (env: string) => env.startsWith('keras3');
    const inQuickSubset = (c: SourceCase) => {
      if (c.format === 'tf1-ckpt') return true;
      if (c.format !== (keras3Env(c.env) ? 'keras' : 'h5')) return false;
      return !isConv(c) || c.env === 'tf2.15' || c.env === 'keras3';
    };
    const cases = sourceCases().filter((c) => all || inQuickSubset(c));
    // Keras 2.3.1 (TF 1.15) and tf.keras 2.0 load a file in about a second, several times slower
    // than the others: they load the quick subset only, even in a full run, so CI stays within
    // its time budget (~900 files each would take ~16 minutes apiece on two cores).
    const SLOW_TARGET_ENVS = new Set(['keras2.3', 'tf2.0']);
    const wanted = (c: SourceCase, wt: WriteTarget) => {
      if (wt.env && SLOW_TARGET_ENVS.has(wt.env) && !inQuickSubset(c)) return false;
      if (all || !isConv(c)) return true;
      if (wt.format === 'keras-h5-weights' || wt.format === 'keras-v3-weights') return false;
      if (c.env === 'keras3') return wt.target.family !== 'keras3' || (wt.target.id === 'keras-3.0' && wt.format === 'keras-v3');
      return true;
    };
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
      for (const c of cases) {
        const graph = await readSource(c);
        for (const wt of WRITE_TARGETS) {
          if (!wt.env) continue;
          if (!wanted(c, wt)) continue;
          let bytes: Uint8Array;
          try {
            bytes = (await saveWithReport(graph, { format: wt.format, target: wt.target })).bytes;
            expectOutcome(c, wt, 'written');
          } catch (e) {
            if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') {
              expectOutcome(c, wt, refusedOutcome(e.message));
              const k = matrixKey(c, wt).join(' → ');
              refused.set(k, (refused.get(k) ?? 0) + 1);
              refusals.add(`${c.id.split('/')[1]} → ${wt.target.id}: ${e.message}`);
              continue;
            }
            throw e;
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
          const list = jobsByEnv.get(wt.env) ?? [];
          list.push(job);
          jobsByEnv.set(wt.env, list);
        }
      }
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
      const report = `files written by kconv, loaded by real Keras: ${total.pass}/${total.total} pass\n${lines.join('\n')}`;
      console.log(report);
      writeFileSync(join(ROOT, 'test', 'roundtrip', 'last-matrix.md'), `${report}\n\nFailures:\n${failures.map((f) => `- ${f}`).join('\n')}\n\nRefusals (NOT_REPRESENTABLE):\n${[...refusals].sort().map((f) => `- ${f}`).join('\n')}\n`);
      expect(failures).toEqual([]);
      expect(unexpected, 'writer outcomes differ from test/roundtrip/expected-matrix.md').toEqual([]);
    } finally {
      if (process.env.KCONV_KEEP_PYTIER !== '1') rmSync(work, { recursive: true, force: true });
    }
  }, 1_800_000);
});
