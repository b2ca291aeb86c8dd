/**
 * `kconv convert --to onnx` as a user types it: a file (run in onnxruntime against what Keras
 * computed for the bundled example), a directory, a refusal (exit code 2, NOT_REPRESENTABLE on
 * stderr, no output file), and the usage error for a target version.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/formats/npy.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { writeKir } from '../../src/ir/kir.js';
import { toFloat32 } from '../../src/tensor.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { ensureBuilt } from '../helpers/build.js';
import { ROOT } from '../helpers/paths.js';
import { kconv } from '../cli/run-kconv.js';

beforeAll(() => ensureBuilt(), 240_000);

const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');

describe('kconv convert --to onnx', () => {
  it('writes the bundled example as ONNX, which onnxruntime runs to what Keras computed', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kconv-onnx-')), 'model.onnx');
    const r = kconv(['convert', join(EXAMPLE, 'model.h5'), '--to', 'onnx', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${out}`);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync(out));
    const x = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'input.npy'))));
    const y = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', toFloat32(x), x.shape) }))[session.outputNames[0]];
    const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    const caseJson = JSON.parse(readFileSync(join(EXAMPLE, 'case.json'), 'utf8'));
    const cmp = compareArrays(y.data as Float32Array, toFloat32(expected), tolerance(caseJson.tolerance ?? 'close'));
    expect(cmp.pass, cmp.message).toBe(true);
    await session.release();
    // an existing output is refused without --force
    expect(kconv(['convert', join(EXAMPLE, 'model.h5'), '--to', 'onnx', '-o', out]).stderr).toMatch(/OUTPUT_EXISTS/);
  });

  it('converts a directory, keeping relative paths, with the .onnx extension', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-onnx-dir-'));
    mkdirSync(join(dir, 'in', 'sub'), { recursive: true });
    copyFileSync(join(EXAMPLE, 'model.h5'), join(dir, 'in', 'a.h5'));
    copyFileSync(join(EXAMPLE, 'model.h5'), join(dir, 'in', 'sub', 'b.h5'));
    const r = kconv(['convert', join(dir, 'in'), '--to', 'onnx', '-o', join(dir, 'out'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).converted).toHaveLength(2);
    expect(existsSync(join(dir, 'out', 'a.onnx'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'sub', 'b.onnx'))).toBe(true);
  });

  it('refuses a layer ONNX cannot hold: exit 2, NOT_REPRESENTABLE naming it, nothing written', () => {
    const b = new GraphBuilder('m');
    const x = b.input('x', [null, 3]);
    const y = b.add('Unsupported', 'my_lambda', [x], { className: 'Lambda', reason: 'Lambda bytecode is never executed' }, {}, { className: 'Lambda', config: {}, layerName: 'my_lambda' });
    const dir = mkdtempSync(join(tmpdir(), 'kconv-onnx-refuse-'));
    writeFileSync(join(dir, 'm.kir'), writeKir(b.build([y])));
    const out = join(dir, 'm.onnx');
    const r = kconv(['convert', join(dir, 'm.kir'), '--to', 'onnx', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error NOT_REPRESENTABLE: ONNX cannot express layer 'my_lambda' \(Lambda\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('a target version is a usage error with --to onnx', () => {
    const r = kconv(['convert', join(EXAMPLE, 'model.h5'), '--to', 'onnx', '--target-version', '2.15', '-o', join(tmpdir(), 'never.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/USAGE: a target version applies to Keras formats/);
  });
});
