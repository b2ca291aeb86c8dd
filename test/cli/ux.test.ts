/**
 * The CLI as a new user meets it (issue 17): help text that reads well, errors that say what to
 * type instead, `run` without Python (random inputs, JSON files), and no noise from npm or tfjs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/formats/npy.js';
import { tensorToJson } from '../../src/api/json-tensor.js';
import { TOLERANCES } from '../../src/verify/tolerance.js';
import { MODEL_FORMATS, SAVE_FORMATS } from '../../src/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { kconv } from './run-kconv.js';

beforeAll(() => ensureBuilt(), 240_000);

const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');
const EMBEDDING = join(FIXTURES, 'cases', 'tf2.15', 'model-embedding--h5');

describe('help text', () => {
  const helps = ['', 'inspect', 'run', 'convert', 'verify', 'bench'].map((cmd) => {
    const r = kconv(cmd ? [cmd, '--help'] : ['--help']);
    expect(r.code).toBe(0);
    return { cmd, text: r.stdout };
  });

  it('never wraps a line in the middle of a word', () => {
    // Every word of the help must be a word of the CLI's source (or one yargs adds): a word cut
    // in two by the layout ("kerne" + "ls") is neither.
    const source = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').replaceAll('\\n', ' ');
    // words the help builds from data: tolerance and format names
    const dataWords = [...Object.keys(TOLERANCES), ...Object.keys(MODEL_FORMATS).flatMap((f) => f.split('-')), ...SAVE_FORMATS.flatMap((f) => f.split('-'))];
    const yargsWords = new Set([...dataWords, 'show', 'version', 'number', 'boolean', 'choices', 'default', 'required', 'string', 'array', 'help', 'commands', 'options', 'positionals', 'examples']);
    for (const { cmd, text } of helps) {
      const words = text.match(/[A-Za-z]{3,}/g) ?? [];
      const cut = words.filter((w) => !yargsWords.has(w.toLowerCase()) && !new RegExp(`(?<![A-Za-z])${w}(?![A-Za-z])`).test(source));
      expect(cut, `kconv ${cmd} --help`).toEqual([]);
    }
    expect(helps[0].text).toMatch(/theano flips\s+kernels/);
  });

  it('keeps every example on one line, and the paths they cite exist', () => {
    for (const { cmd, text } of helps) {
      const examples = text.split('Examples:\n')[1]?.split('\n\n')[0] ?? '';
      for (const line of examples.split('\n').filter(Boolean)) {
        expect(line, `kconv ${cmd} --help`).toMatch(/^ {2}kconv \S/);
        for (const path of line.match(/examples\/\S+/g) ?? []) expect(existsSync(join(ROOT, path)), path).toBe(true);
      }
    }
    const run = helps.find((h) => h.cmd === 'run')!.text;
    expect(run).toContain('\n  kconv run model.keras -i seq=x.npy -i mask=m.npy\n');
    expect(run).toContain('\n  kconv run model.h5 --random --length 128\n');
    expect(helps.find((h) => h.cmd === 'inspect')!.text).toContain('kconv inspect examples/conv1d-classifier/model.h5');
  });

  it('a stray data file suggests --input; a bad --max-memory quotes what was typed', () => {
    const stray = kconv(['run', join(EXAMPLE, 'model.h5'), 'x.npy']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('Unknown argument: x.npy (give input files with --input x.npy)');
    const mem = kconv(['inspect', join(EXAMPLE, 'model.h5'), '--max-memory', 'abc']);
    expect(mem.code).toBe(2);
    expect(mem.stderr).toContain("--max-memory takes a positive number of megabytes (e.g. 512 or 0.5), got 'abc'");
    expect(mem.stderr).not.toContain('NaN');
  });
});

describe('kconv run without Python', () => {
  it('--random runs on the declared shape; --length fills an open steps axis', () => {
    const r = kconv(['run', join(EXAMPLE, 'model.h5'), '--random', '--batch', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.inputs).toEqual([{ name: 'input_1', shape: [2, 32, 3], dtype: 'float32' }]);
    expect(doc.outputs[0].shape).toEqual([2, 3]);
    // softmax outputs: each row sums to one whatever the input
    expect(doc.outputs[0].mean).toBeCloseTo(1 / 3, 5);
    // the same seed gives the same numbers
    expect(JSON.parse(kconv(['run', join(EXAMPLE, 'model.h5'), '--random', '--batch', '2', '--json']).stdout).outputs).toEqual(doc.outputs);
    const tcn = join(FIXTURES, 'cases', 'tf2.15', 'model-tcn--h5', 'model.h5');
    const noLength = kconv(['run', tcn, '--random']);
    expect(noLength.code).toBe(2);
    expect(noLength.stderr).toMatch(/error USAGE: input '\w+' has an open steps axis \(shape \(None, None, \d+\)\): give --length with --random/);
    const withLength = kconv(['run', tcn, '--random', '--length', '50', '--json']);
    expect(withLength.code, withLength.stderr).toBe(0);
    expect(JSON.parse(withLength.stdout).inputs[0].shape).toEqual([1, 50, expect.any(Number)]);
  });

  it('an Embedding input gets integers inside the vocabulary, and inspect reports it as int32 with its range', () => {
    const inspect = kconv(['inspect', join(EMBEDDING, 'model.h5'), '--json']);
    const input = JSON.parse(inspect.stdout).inputs[0];
    expect(input).toMatchObject({ dtype: 'int32', indexRange: [0, 49] });
    expect(kconv(['inspect', join(EMBEDDING, 'model.h5')]).stdout).toContain('Inputs: input_1 (None, 20) int32 in [0, 49]');
    const r = kconv(['run', join(EMBEDDING, 'model.h5'), '--random', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).inputs).toEqual([{ name: 'input_1', shape: [1, 20], dtype: 'int32' }]);
    expect(kconv(['run', join(EMBEDDING, 'model.h5'), '--random', '--input', 'x.npy']).stderr).toContain('--random and --input exclude each other');
  });

  it('reads JSON arrays as inputs and writes JSON outputs, matching Keras', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-json-'));
    const x = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'input.npy'))));
    writeFileSync(join(dir, 'x.json'), JSON.stringify(tensorToJson(x)));
    const r = kconv(['run', join(EXAMPLE, 'model.h5'), '-i', join(dir, 'x.json'), '-o', join(dir, 'y.json'), '--expected', join(EXAMPLE, 'expected.npy')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('MATCH');
    const y = JSON.parse(readFileSync(join(dir, 'y.json'), 'utf8')) as number[][];
    const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    expect([y.length, y[0].length]).toEqual(expected.shape);
    // {shape, data} works too, and ragged arrays are refused with the place they go wrong
    writeFileSync(join(dir, 'flat.json'), JSON.stringify({ shape: x.shape, data: Array.from(x.data as Float32Array) }));
    expect(kconv(['run', join(EXAMPLE, 'model.h5'), '-i', join(dir, 'flat.json'), '--expected', join(EXAMPLE, 'expected.npy')]).code).toBe(0);
    writeFileSync(join(dir, 'ragged.json'), '[[[1, 2, 3]], [[1, 2]]]');
    const ragged = kconv(['run', join(EXAMPLE, 'model.h5'), '-i', join(dir, 'ragged.json')]);
    expect(ragged.code).toBe(2);
    expect(ragged.stderr).toContain('error BAD_INPUT: ');
    expect(ragged.stderr).toContain('ragged arrays: expected 3 elements at [1][0], found 2');
  });
});

describe('no noise', () => {
  it('npx kconv prints nothing on stderr beyond kconv itself (no npm config warnings)', () => {
    const r = spawnSync('npx', ['kconv', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(join(ROOT, '.npmrc'))).toBe(false);
    // npm ci itself keeps onnxruntime-node from downloading CUDA binaries at install (offline it fails)
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).allowScripts?.['onnxruntime-node']).toBe(false);
  });
});
