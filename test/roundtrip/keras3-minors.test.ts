/**
 * Keras-loads tier for the Keras 3 minors (issue 17): files kconv writes with no target version
 * (the oldest Keras 3 that holds the model) load in Keras 3.0, 3.6 on JAX, 3.12 and 3.15 and
 * compute Keras's numbers; files written for `--target-version 3.12` load in 3.12 and 3.15; a
 * model whose input length only its weights record converts into a file all of them load.
 *
 * Runs when KCONV_PY_TIER=1 or CI=true, like the round-trip tier; a missing venv is a failure
 * under CI. One Python process per environment (test/roundtrip/keras_load.py).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareArrays, load, loadFile, readNpyFile, saveWithWarnings, toFloat32, tolerance } from '../../src/node.js';
import { lengthlessExample } from '../helpers/lengthless.js';
import { kerasBackendOf, venvFor } from './support.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';

const enabled = process.env.KCONV_PY_TIER === '1' || process.env.CI === 'true';

/** The Keras 3 environments, oldest first, with the minor each stands for. */
const ENVS = [
  { env: 'keras3.0', minor: 0 },
  { env: 'keras3.6-jax', minor: 6 },
  { env: 'keras3.12', minor: 12 },
  { env: 'keras3', minor: 15 },
];

const SOURCES = ['model-seq-classifier--h5', 'model-embedding--h5', 'model-tcn--h5', 'model-channels-first-stack--h5', 'model-pad-crop-up-ln--h5', 'model-two-io--h5'];

interface Job {
  id: string;
  model: string;
  kind: 'model';
  inputs: string[];
  out: string;
  expected: string[];
  tolerance: string;
  /** The oldest Keras 3 minor that must load it. */
  minor: number;
}

describe.runIf(enabled)('Keras 3 files kconv writes load in every Keras 3 from the version they were written for', () => {
  it('default target, --target-version 3.12, and an input length read from the weights', async () => {
    const work = mkdtempSync(join(tmpdir(), 'kconv-k3minors-'));
    const jobs: Job[] = [];
    const add = async (id: string, model: Awaited<ReturnType<typeof load>>, targetVersion: string | undefined, c: { inputs: string[]; expected: string[]; tolerance: string }) => {
      const saved = await saveWithWarnings(model, { format: 'keras-v3', targetVersion });
      const file = join(work, `${id}.keras`);
      writeFileSync(file, saved.bytes);
      const minor = Number(saved.target!.split('.')[1]);
      jobs.push({ id, model: file, kind: 'model', inputs: c.inputs, out: join(work, id), expected: c.expected, tolerance: c.tolerance, minor });
      return minor;
    };
    for (const source of SOURCES) {
      const dir = join(FIXTURES, 'cases', 'tf2.15', source);
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
      const files = { inputs: (c.files.inputs as string[]).map((f) => join(dir, f)), expected: (c.files.expected as string[]).map((f) => join(dir, f)), tolerance: c.tolerance ?? 'close' };
      const model = await loadFile(join(dir, c.files.model));
      expect(await add(`${source}-default`, model, undefined, files), source).toBe(0);
      await add(`${source}-3.12`, model, '3.12', files);
    }
    const example = join(ROOT, 'examples', 'conv1d-classifier');
    const lengthless = await load(await lengthlessExample(), { filename: 'lengthless.kir' });
    await add('lengthless-default', lengthless, undefined, { inputs: [join(example, 'input.npy')], expected: [join(example, 'expected.npy')], tolerance: 'close' });

    const failures: string[] = [];
    let checked = 0;
    for (const { env, minor } of ENVS) {
      const py = join(venvFor(env), 'bin', 'python');
      const mine = jobs.filter((j) => j.minor <= minor).map((j) => ({ ...j, out: `${j.out}@${env}` }));
      const jobsFile = join(work, `jobs-${env}.json`);
      writeFileSync(jobsFile, JSON.stringify(mine));
      execFileSync(py, [join(ROOT, 'test', 'roundtrip', 'keras_load.py'), jobsFile], {
        env: { ...process.env, KERAS_BACKEND: kerasBackendOf(env), TF_CPP_MIN_LOG_LEVEL: '2' },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 600_000,
      });
      for (const j of mine) {
        const r = JSON.parse(readFileSync(join(j.out, 'result.json'), 'utf8'));
        checked++;
        if (!r.ok) {
          failures.push(`${j.id} in ${env}: ${r.error.split('\n')[0]}`);
          continue;
        }
        j.expected.forEach((e, i) => {
          const cmp = compareArrays(toFloat32(readNpyFile(join(j.out, r.outputs[i]))), toFloat32(readNpyFile(e)), tolerance(j.tolerance === 'exact' ? 'close' : j.tolerance));
          if (!cmp.pass) failures.push(`${j.id} in ${env} (Keras ${r.keras}): output ${i}: ${cmp.message}`);
        });
      }
    }
    console.log(`Keras 3 minors: ${checked} loads checked over ${ENVS.map((e) => e.env).join(', ')}`);
    expect(failures).toEqual([]);
    // 7 default files × 4 envs, 6 files for 3.12 × 2 envs
    expect(checked).toBe(7 * 4 + SOURCES.length * 2);
  }, 1_800_000);
});
