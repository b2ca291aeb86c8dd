/**
 * The ONNX tier: every faithful golden source model (the round-trip tiers' selection: full models
 * in .h5, .keras and TF1 checkpoints, from every env) is exported to ONNX by kconv, run in
 * onnxruntime-node, and compared with what real Keras computed (expected*.npy, or reloaded*.npy
 * where the Keras writer recorded another model: test/helpers/cases.ts) at the case's named
 * tolerance. A refusal must be NOT_REPRESENTABLE. The source × ONNX matrix (written and matched,
 * refused by reason, opsets recorded) is committed in onnx-matrix.json and asserted exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import { toFloat32 } from '../../src/ir/tensor.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { readNpyFile, readSource, sourceCases, type SourceCase } from './support.js';
import { loadOrt, runOnnx, type Ort } from '../helpers/onnx.js';
import { ROOT } from '../helpers/paths.js';

interface Row {
  written: number;
  matched: number;
  refused: Record<string, number>;
  opsets: Record<string, number>;
}

const ort = await loadOrt();
const cases = ort ? sourceCases() : [];
const envs = [...new Set(cases.map((c) => c.env))];
const matrix: Record<string, Row> = {};
const maxErrors = new Map<string, number>();
const started = Date.now();

/** The refusal message without the layer's own name, so that equal reasons count together. */
function reasonOf(message: string): string {
  return message.replace(/layer '[^']*'/, 'layer').replace(/ \(at nodes\/.*\)$/, '');
}

async function check(o: Ort, c: SourceCase, row: Row, failures: string[]): Promise<void> {
  const graph = await readSource(c);
  let result;
  try {
    result = writeOnnx(graph);
  } catch (e) {
    if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') {
      const reason = reasonOf(e.message);
      row.refused[reason] = (row.refused[reason] ?? 0) + 1;
      return;
    }
    failures.push(`${c.id}: export failed: ${(e as Error).message}`);
    return;
  }
  row.written++;
  row.opsets[result.opset] = (row.opsets[result.opset] ?? 0) + 1;
  const outputs = await runOnnx(o, result.bytes, c.inputs.map(readNpyFile));
  const tol = tolerance(c.tolerance);
  const key = `${c.env} ${c.format}`;
  if (outputs.length !== c.expected.length) {
    failures.push(`${c.id}: ${outputs.length} outputs, Keras ${c.expected.length}`);
    return;
  }
  for (const [i, f] of c.expected.entries()) {
    const want = readNpyFile(f);
    const got = outputs[i];
    if (got.dims.join() !== want.shape.join()) {
      failures.push(`${c.id}: output ${i} has shape [${got.dims}], Keras [${want.shape}]`);
      return;
    }
    const cmp = compareArrays(got.data, toFloat32(want), tol);
    maxErrors.set(key, Math.max(maxErrors.get(key) ?? 0, cmp.maxAbsError));
    if (!cmp.pass) {
      failures.push(`${c.id}: output ${i}: ${cmp.message}`);
      return;
    }
  }
  row.matched++;
}

describe.runIf(ort !== null)('golden models exported to ONNX run in onnxruntime and match Keras', () => {
  afterAll(() => {
    const lines = Object.entries(matrix).map(([k, r]) => {
      const refused = Object.values(r.refused).reduce((a, b) => a + b, 0);
      return `  ${k.padEnd(22)} ${r.matched}/${r.written} matched, ${refused} refused, max |err| ${(maxErrors.get(k) ?? 0).toExponential(2)}`;
    });
    console.log(`ONNX tier: ${cases.length} source models in ${((Date.now() - started) / 1000).toFixed(1)} s\n${lines.join('\n')}`);
  });

  it('has golden source models to export', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(envs)('every golden source model from %s', async (env) => {
    const failures: string[] = [];
    for (const c of cases.filter((x) => x.env === env)) {
      const key = `${c.env} ${c.format}`;
      matrix[key] ??= { written: 0, matched: 0, refused: {}, opsets: {} };
      await check(ort!, c, matrix[key], failures);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('the source × ONNX matrix is the committed one (onnx-matrix.json)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'test', 'roundtrip', 'onnx-matrix.json'), 'utf8'));
    const sorted = Object.fromEntries(Object.entries(matrix).sort(([a], [b]) => a.localeCompare(b)));
    expect(sorted, `actual matrix:\n${JSON.stringify(sorted, null, 2)}`).toEqual(committed);
  });
});
