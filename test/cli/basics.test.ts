/**
 * The CLI as a process: help, version, exit codes, error printing (code + message, no stack
 * unless --debug), and the verify command's handling of cases that cannot run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/formats/npy.js';
import { float32 } from '../../src/tensor.js';
import { ensureBuilt } from '../helpers/build.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { BIN, kconv } from './run-kconv.js';
import { KNOWN_UNSUPPORTED } from '../helpers/cases.js';

beforeAll(() => ensureBuilt(), 240_000);

const NPY = join(FIXTURES, 'npy', 'f4_2x3_v1.npy');

describe('kconv as a process', () => {
  it('--help lists the commands and the exit codes, and exits 0', () => {
    const r = kconv(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['inspect <model>', 'run <model>', 'convert <input>', 'verify <path>', 'bench']) expect(r.stdout).toContain(`kconv ${cmd}`);
    expect(r.stdout).toContain('Exit codes: 0 success, 1 a check failed');
    expect(r.stderr).toBe('');
  });

  it('each command has its own --help', () => {
    for (const cmd of ['inspect', 'run', 'convert', 'verify', 'bench']) {
      const r = kconv([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout).toContain(`kconv ${cmd}`);
    }
    expect(kconv(['convert', '--help']).stdout).toMatch(/--to.*keras-v3.*keras-h5.*keras-v3-weights.*keras-h5-weights.*kir/s);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const r = kconv(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('usage errors exit 2 with a USAGE message on stderr and nothing on stdout', () => {
    for (const args of [[], ['frobnicate'], ['inspect'], ['inspect', NPY, '--no-such-flag'], ['convert', NPY, '--to', 'keras9', '-o', 'x'], ['inspect', NPY, '--backend', 'cntk']]) {
      const r = kconv(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^kconv: error USAGE: /);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });

  it('a missing file is an input error: exit 2, IO_ERROR, no stack trace', () => {
    const r = kconv(['inspect', 'no/such/model.h5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("kconv: error IO_ERROR: cannot read 'no/such/model.h5': no such file\n");
  });

  it('--debug adds the stack trace', () => {
    const r = kconv(['inspect', 'no/such/model.h5', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error IO_ERROR: /);
    expect(r.stderr).toMatch(/\n\s+at .*node\.js/);
  });

  it('a file of another format is refused with UNSUPPORTED_FORMAT, naming what it found', () => {
    const r = kconv(['inspect', NPY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error UNSUPPORTED_FORMAT: expected a Keras model .* found a NumPy \.npy file/);
  });

  it('a directory given as a model is a usage error', () => {
    const r = kconv(['inspect', FIXTURES]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error USAGE: .* is a directory/);
  });

  it('no progress bar or escape codes when stderr is not a terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-verify-'));
    for (const name of ['a', 'b', 'c']) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'case.json'), JSON.stringify({ id: name, format: 'h5', files: {}, expectError: true }));
    }
    const r = kconv(['verify', dir]);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\x1b[');
  });
});

// util-linux `script` runs a command on a pseudo-terminal, so stderr is a TTY as for a user.
// .ci/run installs it; under CI its absence fails instead of skipping these tests.
const haveScript = existsSync('/usr/bin/script');
if (!haveScript && process.env.CI === 'true') throw new Error('CI=true but util-linux `script` (/usr/bin/script) is missing: the terminal tests must run in CI');
if (!haveScript) console.warn('skipped: the terminal tests (no /usr/bin/script from util-linux)');

describe.runIf(haveScript)('on a terminal', () => {
  const onTty = (args: string) =>
    spawnSync('/usr/bin/script', ['-qec', `${process.execPath} ${BIN} ${args} > /dev/null`, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

  it('verify draws a progress bar on stderr, ending at n/n and erasing itself; --quiet draws none', () => {
    const dir = join(FIXTURES, 'cases', 'tf2.15');
    const r = onTty(`verify ${dir}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\rverify \[-+\] 0\/\d+/);
    const total = /0\/(\d+)/.exec(r.stdout)![1];
    expect(r.stdout).toMatch(new RegExp(`\\rverify \\[#+\\] ${total}/${total} `));
    expect(r.stdout.endsWith('\r\x1b[K')).toBe(true);
    const quiet = onTty(`verify ${dir} --quiet`);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
  });
});

describe('kconv verify without a runnable model', () => {
  function caseDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-cases-'));
    // A case whose "model" is not a model: it must be reported as an error, not crash verify.
    mkdirSync(join(dir, 'broken'));
    copyFileSync(NPY, join(dir, 'broken', 'model.h5'));
    copyFileSync(NPY, join(dir, 'broken', 'input.npy'));
    copyFileSync(NPY, join(dir, 'broken', 'expected.npy'));
    writeFileSync(
      join(dir, 'broken', 'case.json'),
      JSON.stringify({ id: 'broken', format: 'h5', env: 'test', tolerance: 'close', files: { model: 'model.h5', inputs: ['input.npy'], expected: ['expected.npy'] } }),
    );
    // A case documenting an error Keras itself raised: nothing to run, skipped.
    mkdirSync(join(dir, 'keras-error'));
    writeFileSync(join(dir, 'keras-error', 'case.json'), JSON.stringify({ id: 'keras-error', format: 'none', files: {}, expectError: true }));
    return dir;
  }

  it('prints a table, counts the case that could not run, and exits 1', () => {
    const r = kconv(['verify', caseDir()]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^CASE\s+FORMAT\s+RESULT\s+MAX ABS ERR\s+MAX REL ERR\s+NOTE$/);
    expect(r.stdout).toMatch(/broken\s+keras-h5\s+ERROR\s+-\s+-\s+\[UNSUPPORTED_FORMAT\]/);
    expect(r.stdout).toMatch(/keras-error\s+none\s+SKIP/);
    expect(r.stdout).toContain('Summary: 0 of 2 cases passed, 1 could not run, 1 skipped.');
  });

  it('--json gives the same facts as a stable document', () => {
    const r = kconv(['verify', caseDir(), '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.summary).toEqual({ total: 2, passed: 0, failed: 0, errors: 1, skipped: 1 });
    const broken = doc.cases.find((c: { id: string }) => c.id === 'broken');
    expect(broken).toMatchObject({ status: 'error', code: 'UNSUPPORTED_FORMAT', format: 'keras-h5', tolerance: 'close', maxAbsError: null });
  });

  it('a manifest lists case directories relative to itself', () => {
    const dir = caseDir();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ cases: [{ dir: 'keras-error' }] }));
    const r = kconv(['verify', join(dir, 'manifest.json'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary).toEqual({ total: 1, passed: 0, failed: 0, errors: 0, skipped: 1 });
  });

  it('an unknown tolerance is a usage error; a directory without cases too', () => {
    const bad = kconv(['verify', caseDir(), '--tolerance', 'roughly']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kconv: error USAGE: unknown tolerance 'roughly'/);
    const empty = kconv(['verify', mkdtempSync(join(tmpdir(), 'kconv-empty-'))]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^kconv: error USAGE: no golden cases under/);
  });
});

describe('kconv verify judging results', () => {
  const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');

  /** A copy of the example case whose expected output is off by 1%, with `extra` merged into case.json. */
  function offCase(extra: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-off-'));
    for (const f of ['model.h5', 'input.npy']) copyFileSync(join(EXAMPLE, f), join(dir, f));
    const exp = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    writeFileSync(join(dir, 'expected.npy'), writeNpy(float32(exp.shape, Array.from(exp.data as Float32Array, (v) => v * 1.01))));
    const json = JSON.parse(readFileSync(join(EXAMPLE, 'case.json'), 'utf8'));
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ ...json, ...extra }));
    return dir;
  }

  it('a mismatch is a FAIL with the worst element, and exits 1', () => {
    const r = kconv(['verify', offCase({})]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+\d\.\d\de-\d+\s+9\.\d\de-3\s+output activation: element \[\d+, \d+\]: got /);
    expect(r.stdout).toContain('Summary: 0 of 1 cases passed, 1 mismatched.');
  });

  it('a looser tolerance given on the command line decides instead of the case\'s', () => {
    expect(kconv(['verify', offCase({}), '--tolerance', 'rtol=0.02,atol=0']).code).toBe(0);
  });

  it("a case whose file describes another model is held to Keras's own reload outputs (reloaded*.npy)", () => {
    const dir = offCase({});
    const json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
    copyFileSync(join(EXAMPLE, 'expected.npy'), join(dir, 'reloaded.npy'));
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ ...json, files: { ...json.files, reloaded: ['reloaded.npy'] } }));
    const r = kconv(['verify', dir, '--json']);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).cases[0].status).toBe('pass');
  });

  it('a recorded reload failure does not excuse a mismatch: it is still a FAIL', () => {
    const r = kconv(['verify', offCase({ reloadCheck: { ok: false, maxAbsDiff: 2.9 } }), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).cases[0].status).toBe('fail');
  });
});

describe('kconv verify on the golden fixtures (real Keras outputs)', () => {
  it('every case under fixtures/cases passes, for every format present', () => {
    const r = kconv(['verify', join(FIXTURES, 'cases'), '--json', '--quiet']);
    const doc = JSON.parse(r.stdout);
    const known = (c: { env: string; id: string }) => KNOWN_UNSUPPORTED[`${c.env}/${c.id}`];
    const failing = doc.cases.filter((c: { status: string; env: string; id: string }) => (c.status === 'fail' || c.status === 'error') && !known(c));
    expect(failing.map((c: { id: string; message?: string }) => `${c.id}: ${c.message}`)).toEqual([]);
    // the cases kconv refuses (test/helpers/cases.ts) are errors naming the refusal; nothing else fails
    for (const c of doc.cases.filter(known)) {
      expect(c.status, c.id).toBe('error');
      expect(c.message).toMatch(known(c).message);
    }
    expect(r.code).toBe(Object.keys(KNOWN_UNSUPPORTED).length > 0 ? 1 : 0);
    const formats = new Set(doc.cases.filter((c: { status: string }) => c.status === 'pass').map((c: { format: string }) => c.format));
    // Printed in the one vocabulary (src/model-formats.ts), whatever short name the fixture's case.json uses.
    for (const f of ['keras-h5', 'keras-h5-weights', 'keras-v3', 'tf1-checkpoint', 'tf2-checkpoint']) expect(formats, f).toContain(f);
    expect(doc.summary.passed).toBeGreaterThanOrEqual(200);
    // Skipped cases are only those that document an error Keras itself raised (no model file).
    for (const c of doc.cases.filter((x: { status: string }) => x.status === 'skip')) {
      expect(c.message).toMatch(/raised by Keras itself/);
    }
  });
});

describe('kconv convert on the bundled example (a real Keras 2.15 file)', () => {
  const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');
  const model = join(EXAMPLE, 'model.h5');
  const input = join(EXAMPLE, 'input.npy');
  const expected = join(EXAMPLE, 'expected.npy');

  it.each([
    ['keras-v3', 'model.keras', []],
    ['keras-v3', 'model-3.0.keras', ['--target-version', '3.0']],
    ['keras-h5', 'model-2.2.4.h5', ['--target-version', '2.2.4']],
    ['kir', 'model.kir', []],
  ])('--to %s (%s) writes a file that still matches what Keras computed', (to, name, extra) => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-convert-'));
    const out = join(dir, name);
    const c = kconv(['convert', model, '--to', to, '-o', out, ...extra]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toBe('');
    expect(c.stderr).toContain(`wrote ${out}`);
    const r = kconv(['run', out, '--input', input, '--expected', expected]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('MATCH');
  });

  it('--to keras-v3-weights writes weights only: inspect lists its tensors, running asks for the architecture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-convert-'));
    const out = join(dir, 'model.weights.h5');
    expect(kconv(['convert', model, '--to', 'keras-v3-weights', '-o', out]).code).toBe(0);
    const r = kconv(['inspect', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Weight tensors (weights only, no architecture):');
    expect(r.stdout).toMatch(/warning: this file holds weights only/);
  });

  it('--json reports what was written; a target that cannot be parsed is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-convert-'));
    const out = join(dir, 'x.kir');
    const r = kconv(['convert', model, '--to', 'kir', '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ converted: [{ input: model, output: out, warnings: [] }], refused: [], failed: [] });
    const bad = kconv(['convert', model, '--to', 'keras-h5', '--target-version', '7.1', '-o', join(dir, 'y.h5')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^kconv: error USAGE: /);
  });

  it.each([
    ['keras3', [], 'keras-v3', 'model.keras'],
    ['keras2', [], 'keras-h5', 'model.h5'],
    ['weights', [], 'keras-v3-weights', 'model.weights.h5'],
    ['weights', ['--target-version', '2.15'], 'keras-h5-weights', 'weights.h5'],
  ])('the kconv 0.1 name --to %s %j still works, warning that it is now %s', (to, extra, now, name) => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-convert-'));
    const old = join(dir, `old-${name}`);
    const c = kconv(['convert', model, '--to', to, ...extra, '-o', old]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain(`format '${to}' is deprecated: use '${now}'`);
    const fresh = join(dir, name);
    expect(kconv(['convert', model, '--to', now, ...extra, '-o', fresh, '--quiet']).code).toBe(0);
    // Same writer: same size and magic (not the same bytes: archives carry the time they were written).
    const [a, b] = [readFileSync(old), readFileSync(fresh)];
    expect([a.length, a.subarray(0, 8).toString('hex')]).toEqual([b.length, b.subarray(0, 8).toString('hex')]);
  });
});
