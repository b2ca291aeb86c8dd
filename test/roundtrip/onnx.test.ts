/**
 * The ONNX tier: every faithful golden source model (the round-trip tiers' selection: full models
 * in .h5, .keras and TF1 checkpoints, from every env) is exported to ONNX by kconv, run in
 * onnxruntime-node, and compared with what real Keras computed (expected*.npy, or reloaded*.npy
 * where the Keras writer recorded another model: test/helpers/cases.ts) at the case's named
 * tolerance. A refusal must be NOT_REPRESENTABLE. A source kconv cannot read, or reads into a graph
 * its own runtime cannot match Keras with either, is counted apart (the golden tiers own those). The source × ONNX matrix (written and matched,
 * refused by reason, opsets recorded) is committed in onnx-matrix.json and asserted exactly
 * (KCONV_UPDATE_MATRIX=1 rewrites it after an intended change).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/graph.js';
import { toFloat32 } from '../../src/tensor.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { conv1dReference, runGraph } from '../../src/runtime/index.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { readNpyFile, readSourceAsUser, sourceCases, type SourceCase } from './support.js';
import { loadOrt, runOnnx, type Ort } from '../helpers/onnx.js';
import { ROOT } from '../helpers/paths.js';

interface Row {
  /** Sources kconv's readers refuse, by error code (not exported). */
  unread: Record<string, number>;
  /** Exported, but kconv's own runtime misses Keras on them too: the IR read from the file is wrong. */
  readerMismatch: number;
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

/** The source graph (readSourceAsUser); a file kconv cannot read is counted by error code: reading is the golden tiers' subject. */
async function readCase(c: SourceCase, row: Row): Promise<Graph | null> {
  try {
    return await readSourceAsUser(c);
  } catch (e) {
    if (!isKconvError(e)) throw e;
    row.unread[e.code] = (row.unread[e.code] ?? 0) + 1;
    return null;
  }
}

async function check(o: Ort, c: SourceCase, row: Row, failures: string[]): Promise<void> {
  const graph = await readCase(c, row);
  if (!graph) return;
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
  const inputs = c.inputs.map(readNpyFile);
  const outputs = await runOnnx(o, result.bytes, inputs);
  const problem = differsFromKeras(c, outputs, `${c.env} ${c.format}`);
  if (problem === null) {
    row.matched++;
    return;
  }
  // The export follows the IR; where kconv's own runtime misses Keras too, the reader is what is
  // wrong (the golden tiers report it) and the case is counted apart, not blamed on the export.
  if (differsFromKeras(c, runGraph(graph, inputs, { conv1d: conv1dReference }).map((t) => ({ dims: t.shape, data: t.data as Float32Array })), null) !== null) {
    row.readerMismatch++;
    return;
  }
  failures.push(`${c.id}: ${problem}`);
}

/** Why `outputs` miss Keras's for the case at its tolerance, or null when they match (max error recorded under `key`). */
function differsFromKeras(c: SourceCase, outputs: { dims: readonly number[]; data: Float32Array }[], key: string | null): string | null {
  if (outputs.length !== c.expected.length) return `${outputs.length} outputs, Keras ${c.expected.length}`;
  for (const [i, f] of c.expected.entries()) {
    const want = readNpyFile(f);
    const got = outputs[i];
    if (got.dims.join() !== want.shape.join()) return `output ${i} has shape [${got.dims}], Keras [${want.shape}]`;
    const cmp = compareArrays(got.data, toFloat32(want), tolerance(c.tolerance));
    if (key) maxErrors.set(key, Math.max(maxErrors.get(key) ?? 0, cmp.pass ? cmp.maxAbsError : 0));
    if (!cmp.pass) return `output ${i}: ${cmp.message}`;
  }
  return null;
}

describe.runIf(ort !== null)('golden models exported to ONNX run in onnxruntime and match Keras', () => {
  afterAll(() => {
    const lines = Object.entries(matrix).map(([k, r]) => {
      const count = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
      return `  ${k.padEnd(24)} ${r.matched}/${r.written} matched, ${count(r.refused)} refused, ${count(r.unread)} unread, ${r.readerMismatch} read unfaithfully, max |err| ${(maxErrors.get(k) ?? 0).toExponential(2)}`;
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
      matrix[key] ??= { unread: {}, readerMismatch: 0, written: 0, matched: 0, refused: {}, opsets: {} };
      await check(ort!, c, matrix[key], failures);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('the source × ONNX matrix is the committed one (onnx-matrix.json)', () => {
    const file = join(ROOT, 'test', 'roundtrip', 'onnx-matrix.json');
    const sorted = Object.fromEntries(Object.entries(matrix).sort(([a], [b]) => a.localeCompare(b)));
    // After an intended change: KCONV_UPDATE_MATRIX=1 npx vitest run test/roundtrip/onnx.test.ts, and review the diff.
    if (process.env.KCONV_UPDATE_MATRIX === '1') writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
    expect(sorted).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });
});
