/**
 * A conversion killed (SIGKILL: no cleanup handlers run) at any moment leaves either no output or
 * a complete one, and never touches the input. We measure how long an uninterrupted run takes,
 * then kill fresh runs at points spread over that time, from start-up to the final rename.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, test } from 'vitest';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { CORPUS, corpusAvailable, ROOT } from '../helpers/paths.js';

let worker = '';
beforeAll(async () => {
  const outdir = join(ROOT, 'node_modules', '.cache', 'kconv-fuzz');
  mkdirSync(outdir, { recursive: true });
  worker = join(outdir, 'interrupt-worker.mjs');
  await build({ entryPoints: [join(ROOT, 'test', 'fuzz', 'interrupt-worker.ts')], outfile: worker, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
});

function runToEnd(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [worker, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`worker failed: ${r.stderr}`);
  return performance.now() - t0;
}

/** Starts the worker and SIGKILLs it `afterMs` after it starts (or lets it finish if it is faster). */
function runAndKill(args: string[], afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [worker, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Is `out` the complete output? For byte-identical writers, equality; else a caller's check. */
type Complete = (out: Uint8Array) => boolean | Promise<boolean>;

async function killAtManyPoints(label: string, args: (out: string) => string[], complete: Complete, points: number, input?: string) {
  const dir = mkdtempSync(join(tmpdir(), `kconv-interrupt-${label}-`));
  const total = runToEnd(args(join(dir, 'measure.out')));
  const inputBefore = input ? readFileSync(input) : undefined;
  let completed = 0;
  let absent = 0;
  for (let i = 0; i < points; i++) {
    const out = join(dir, `out-${i}`);
    await runAndKill(args(out), (total * (i + 0.5)) / points);
    if (existsSync(out)) {
      expect(await complete(new Uint8Array(readFileSync(out))), `${out} is not complete`).toBe(true);
      completed++;
    } else absent++;
  }
  if (input) expect(readFileSync(input).equals(inputBefore!)).toBe(true);
  // The kills really landed on both sides of the rename.
  expect(absent).toBeGreaterThan(0);
  return { complete: completed, absent, leftovers: readdirSync(dir).filter((f) => f.endsWith('.tmp')).length };
}

describe('interrupted writes', () => {
  test('a large write killed at 24 points: no output or the complete output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-interrupt-expected-'));
    runToEnd(['big', join(dir, 'expected'), '96']);
    const expected = new Uint8Array(readFileSync(join(dir, 'expected')));
    const r = await killAtManyPoints('big', (out) => ['big', out, '96'], (out) => Buffer.from(out).equals(Buffer.from(expected)), 24);
    console.log(`large write: ${r.absent} killed before the rename, ${r.complete} complete, ${r.leftovers} temporary files left`);
  }, 300_000);

  test.runIf(corpusAvailable())('a real conversion (.h5 -> .keras) killed at 24 points', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-interrupt-input-'));
    const input = join(dir, 'ecg_model.h5');
    copyFileSync(join(CORPUS, 'wild', 'ecg-keras3.13-legacy-h5', 'ecg_model.h5'), input);
    runToEnd(['convert', input, join(dir, 'expected.keras')]);
    // A .keras records when it was saved, so outputs differ in metadata.json: complete means it
    // loads and holds exactly the weights of an uninterrupted conversion.
    const expected = await readKerasArchive(new Uint8Array(readFileSync(join(dir, 'expected.keras'))));
    const sameWeights = async (out: Uint8Array) => {
      const g = await readKerasArchive(out);
      return [...expected.weights].every(([k, t]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(g.weights.get(k)!.data.buffer, g.weights.get(k)!.data.byteOffset, g.weights.get(k)!.data.byteLength)));
    };
    const r = await killAtManyPoints('convert', (out) => ['convert', input, out], sameWeights, 24, input);
    console.log(`conversion: ${r.absent} killed before the rename, ${r.complete} complete`);
    // The writer refuses to overwrite its input even when asked to write there.
    const same = spawnSync(process.execPath, [join(ROOT, 'node_modules', '.cache', 'kconv-fuzz', 'interrupt-worker.mjs'), 'convert', input, input], { encoding: 'utf8' });
    expect(same.status).not.toBe(0);
    expect(same.stderr).toMatch(/OUTPUT_EXISTS|it is an input/);
  }, 300_000);
});
