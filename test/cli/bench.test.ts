/**
 * `kconv bench` as a process: it works with and without the peers (devDependencies) installed.
 * The numbers are never asserted (the benchmark measures, it does not pass or fail); what is
 * asserted is the report's shape, that kconv's own paths always run, and that a missing peer is
 * named as such instead of crashing the command.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { kconv } from './run-kconv.js';

beforeAll(() => ensureBuilt(), 240_000);

const KCONV_RUNTIMES = ['kconv-blocked', 'kconv-typed', 'kconv-wasm', 'kconv-threads'];
const HIDE_PEERS = `--import ${join(import.meta.dirname, 'no-peers', 'register.mjs')}`;

interface Row {
  shape: string;
  runtime: string;
  medianMs: number;
  gflops: number | null;
}

describe('kconv bench', () => {
  it('--quick --json: one row per shape and runtime, every runtime checked and timed, peers included', () => {
    const r = kconv(['bench', '--quick', '--json', '--budget', '0.05']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    const f = rows.filter((x) => x.shape === 'f').map((x) => x.runtime);
    expect(f).toEqual([...KCONV_RUNTIMES, 'tfjs-cpu', 'tfjs-wasm', 'ort-2t']);
    for (const x of rows) {
      expect(x.medianMs, `${x.shape} ${x.runtime}`).toBeGreaterThan(0);
      if (x.gflops !== null) expect(x.gflops).toBeGreaterThan(0);
    }
    // the end-to-end models ran on every path and the peers, and all three load formats were timed
    for (const model of ['keras3/model-tcn--keras', 'keras3/model-rnn-cnn-lstm--keras']) {
      expect(rows.filter((x) => x.shape.startsWith(model)).map((x) => x.runtime)).toEqual(
        expect.arrayContaining(['kconv-wasm', 'kconv-threads (default)', 'tfjs-cpu', 'tfjs-wasm', 'ort-2t (kconv ONNX export)']),
      );
    }
    expect(rows.filter((x) => x.shape.startsWith('load ')).map((x) => x.shape.split(' ')[1])).toEqual(['.h5', '.h5', '.keras', '.keras', '.kir']);
    expect(r.stderr).not.toMatch(/DISAGREES|does not match/);
    // no tfjs banner and no internal issue numbers in what a user reads
    expect(r.stdout + r.stderr).not.toMatch(/issue \d|TensorFlow\.js in Node\.js|============/);
  }, 120_000);

  it('without the peers installed, kconv paths still run and each peer is reported as not installed', () => {
    const r = kconv(['bench', '--quick', '--budget', '0.05'], { env: { NODE_OPTIONS: HIDE_PEERS } });
    expect(r.code, r.stderr).toBe(0);
    for (const peer of ['tfjs-cpu', 'tfjs-wasm', 'ort-2t']) expect(r.stdout).toContain(`${peer}: peer not installed`);
    expect(r.stdout).toMatch(/\| shape \| kconv-blocked \| kconv-typed \| kconv-wasm \| kconv-threads \|\n/);
    expect(r.stdout).toContain('#### Performance targets, from this run');
    expect(r.stdout + r.stderr).not.toMatch(/issue \d|TensorFlow\.js in Node\.js/);
  }, 120_000);

  it('refuses an unknown shape with a usage error', () => {
    const r = kconv(['bench', '--shapes', 'z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error USAGE: unknown shape z: expected some of a, b, c, d, e, f');
  });
});
