/**
 * `kconv convert` as issue 17 asks: the default Keras 3 target is the oldest that holds the model
 * (and the output says which Keras versions load it), assumptions are said or refused (Keras 1
 * backend), weights-only output comes with its architecture, a directory run carries on and
 * sums up, and messages speak the CLI's language.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { CORPUS, corpusAvailable, FIXTURES, ROOT } from '../helpers/paths.js';
import { kconv } from './run-kconv.js';

beforeAll(() => ensureBuilt(), 240_000);

const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');
const MODEL = join(EXAMPLE, 'model.h5');
const KERAS1 = join(CORPUS, 'wild', 'dl4j-keras1.2.2-tf-vs-theano', 'embedding_conv1d_theano_1.h5');
const tmp = () => mkdtempSync(join(tmpdir(), 'kconv-convert-ux-'));

describe('the default Keras 3 target', () => {
  it('is the oldest Keras 3 that holds the model, and convert and inspect say which versions load it', () => {
    const out = join(tmp(), 'model.keras');
    const r = kconv(['convert', MODEL, '--to', 'keras-v3', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`wrote ${out} (loads in Keras 3.0 to 3.15)\n`);
    const zip = unzipSync(new Uint8Array(readFileSync(out)));
    expect(JSON.parse(strFromU8(zip['metadata.json'])).keras_version).toBe('3.0.0');
    // none of the keys Keras 3.0 does not take (docs/keras3-key-versions.md)
    const config = strFromU8(zip['config.json']);
    for (const key of ['input_axes', 'output_axes', 'optional', 'quantization_config', 'lora_alpha']) expect(config).not.toContain(`"${key}"`);
    const json = JSON.parse(kconv(['convert', MODEL, '--to', 'keras-v3', '-o', out, '--force', '--json']).stdout);
    expect(json.converted[0]).toMatchObject({ target: '3.0', loadsIn: 'Keras 3.0 to 3.15' });
    expect(JSON.parse(kconv(['inspect', MODEL, '--json']).stdout).keras3).toEqual({ target: '3.0', loadsIn: 'Keras 3.0 to 3.15' });
    expect(kconv(['inspect', MODEL]).stdout).toContain('Converts to Keras 3 as a file for Keras 3.0: loads in Keras 3.0 to 3.15');
  });

  it('a version asked for is kept, and the output says what loads it', () => {
    const out = join(tmp(), 'model.keras');
    const r = kconv(['convert', MODEL, '--to', 'keras-v3', '--target-version', '3.12', '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).converted[0]).toMatchObject({ target: '3.12', loadsIn: 'Keras 3.12 to 3.15' });
  });
});

describe('weights-only output', () => {
  it('writes the architecture JSON beside the weights, and the pair runs to Keras numbers', () => {
    const dir = tmp();
    const out = join(dir, 'model.weights.h5');
    const r = kconv(['convert', MODEL, '--to', 'keras-v3-weights', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`and its architecture ${join(dir, 'model.json')}`);
    const arch = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(arch).toMatchObject({ class_name: 'Sequential', module: 'keras' });
    const run = kconv(['run', out, '--architecture', join(dir, 'model.json'), '-i', join(EXAMPLE, 'input.npy'), '--expected', join(EXAMPLE, 'expected.npy')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('MATCH');
    // legacy weights for tf.keras get the legacy to_json() document
    const legacy = join(dir, 'legacy.h5');
    expect(kconv(['convert', MODEL, '--to', 'keras-h5-weights', '--target-version', '2.15', '-o', legacy]).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'legacy.json'), 'utf8'))).toMatchObject({ class_name: 'Sequential', keras_version: '2.15.0', backend: 'tensorflow' });
  });
});

describe('a directory', () => {
  it('carries on past models it cannot convert, names each, leaves no empty folders and sums up (exit 1)', () => {
    const src = tmp();
    for (const d of ['good', 'refused', 'broken']) mkdirSync(join(src, d));
    copyFileSync(MODEL, join(src, 'good', 'model.h5'));
    // grouped convolution: standalone Keras 2.2.4 has no `groups`
    copyFileSync(join(FIXTURES, 'cases', 'tf2.15', 'conv1d-causal-s1-d3-k3-g4-cl-bias-elu-22--h5', 'model.h5'), join(src, 'refused', 'grouped.h5'));
    writeFileSync(join(src, 'broken', 'cut.h5'), readFileSync(MODEL).subarray(0, 3000));
    const out = join(tmp(), 'out');
    const r = kconv(['convert', src, '--to', 'keras-h5', '--target-version', '2.2.4', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${join(src, 'good', 'model.h5')} -> ${join(out, 'good', 'model.h5')}`);
    expect(r.stdout).toContain('Summary: 1 converted, 1 refused (the target cannot hold them), 1 failed, of 3.');
    expect(r.stderr).toContain(`warning: ${join(src, 'refused', 'grouped.h5')}: refused: NOT_REPRESENTABLE: `);
    expect(r.stderr).toContain(`warning: ${join(src, 'broken', 'cut.h5')}: failed: CORRUPT_FILE: `);
    expect(readdirSync(out).sort()).toEqual(['good']);
    const json = JSON.parse(kconv(['convert', src, '--to', 'keras-h5', '--target-version', '2.2.4', '-o', join(tmp(), 'o2'), '--json']).stdout);
    expect(json.summary).toEqual({ converted: 1, refused: 1, failed: 1 });
    expect(json.failed[0]).toMatchObject({ input: join(src, 'broken', 'cut.h5'), code: 'CORRUPT_FILE' });
  });
});

describe.runIf(corpusAvailable())('a Keras 1 file (no backend recorded)', () => {
  it('run says TensorFlow was assumed, on stderr and in --json', () => {
    const r = kconv(['run', KERAS1, '--random']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: the file does not record its backend; assuming 'tensorflow' (pass --backend, e.g. 'theano'");
    const json = JSON.parse(kconv(['run', KERAS1, '--random', '--json']).stdout);
    expect(json.warnings).toEqual([expect.stringContaining("does not record its backend; assuming 'tensorflow' (pass --backend")]);
    expect(JSON.parse(kconv(['inspect', KERAS1, '--json']).stdout).warnings).toEqual([expect.stringContaining('(pass --backend')]);
  });

  it('convert refuses to bake in a guessed backend for convolutions, and converts once --backend is given', () => {
    const out = join(tmp(), 'k1.keras');
    const r = kconv(['convert', KERAS1, '--to', 'keras-v3', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not record the backend it was trained with (Keras 1), and its convolutions (convolution1d_1) give different numbers under each: give --backend tensorflow or --backend theano');
    expect(existsSync(out)).toBe(false);
    const ok = kconv(['convert', KERAS1, '--to', 'keras-v3', '-o', out, '--backend', 'theano']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain("the file does not record its backend; using 'theano' as requested");
  });
});

describe('messages', () => {
  it('LIMIT_EXCEEDED names --max-memory, not the API option', () => {
    const r = kconv(['inspect', MODEL, '--max-memory', '0.0001']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error LIMIT_EXCEEDED: .*\(--max-memory\)/);
    expect(r.stderr).not.toContain('limits.');
  });

  it('a weights-only file is listed, and running it asks for --architecture on the CLI and for the option in the API', async () => {
    const weights = join(FIXTURES, 'cases', 'tf2.15', 'model-embedding--h5-weights', 'weights.h5');
    const inspected = kconv(['inspect', weights]);
    expect(inspected.stdout).toContain('conv1d_1/kernel:0');
    expect(inspected.stdout).toContain('give the architecture JSON (model.to_json()) with --architecture');
    expect(kconv(['run', weights, '--random']).stderr).toContain('give the architecture JSON (model.to_json()) with --architecture');
    const { load } = await import('../../src/index.js');
    const model = await load(new Uint8Array(readFileSync(weights)));
    const err = (await model.predict({ shape: [1, 8], data: new Float32Array(8) }).catch((e: Error) => e)) as Error;
    expect(err.message).toContain('with the architecture option');
    expect(err.message).not.toContain('--');
  });

  it('an empty file and a truncated .h5 say so; verify given a model file does not print its bytes', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'empty.h5'), '');
    expect(kconv(['inspect', join(dir, 'empty.h5')]).stderr).toContain('found an empty file (0 bytes');
    writeFileSync(join(dir, 'cut.h5'), readFileSync(MODEL).subarray(0, 3000));
    const cut = kconv(['inspect', join(dir, 'cut.h5')]);
    expect(cut.stderr).toContain('the file is truncated: it has 3000 bytes, but its HDF5 superblock says');
    expect(cut.stderr).not.toContain('sblock');
    const v = kconv(['verify', MODEL]);
    expect(v.code).toBe(2);
    expect(v.stderr).toBe(`kconv: error USAGE: '${MODEL}' is an HDF5 file, not a case directory or a manifest (.json); to check one model against an expected output: kconv run MODEL --input X.npy --expected Y.npy\n`);
  });

  it('a mismatch names the element as [i, j] and the allowed difference in numbers', () => {
    const dir = tmp();
    const expected = readFileSync(join(EXAMPLE, 'expected.npy'));
    // the same file with one value changed: the header is 128 bytes, float32 values after it
    const changed = Buffer.from(expected);
    changed.writeFloatLE(changed.readFloatLE(128 + 7 * 4) + 0.01, 128 + 7 * 4);
    writeFileSync(join(dir, 'off.npy'), changed);
    const r = kconv(['run', MODEL, '-i', join(EXAMPLE, 'input.npy'), '--expected', join(dir, 'off.npy')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/element \[2, 1\]: got [\d.]+, expected [\d.]+: \|diff\| 1\.000e-2 > [\d.]+e-5 allowed \(tolerance 'close': atol 0\.00001 × scale 1\.000 \+ rtol 0\.0001 × \|expected\|\)/);
  });
});
