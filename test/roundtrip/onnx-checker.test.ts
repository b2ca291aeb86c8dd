/**
 * Every faithful golden source model exported to ONNX passes the ONNX project's own checker
 * (`onnx.checker.check_model(full_check=True)`: the spec's structural rules plus strict shape
 * inference), run in the pinned 'onnx' venv (fixtures/generate/requirements/onnx.txt) — beyond
 * what onnxruntime tolerates when the ONNX tier runs the same files.
 *
 * Runs when KCONV_PY_TIER=1 or CI=true, like the other tiers that need a Python venv; under CI a
 * missing venv is a failure, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { ROOT } from '../helpers/paths.js';
import { readSourceAsUser, sourceCases, venvFor } from './support.js';

const enabled = process.env.KCONV_PY_TIER === '1' || process.env.CI === 'true';

describe.runIf(enabled)('ONNX files kconv writes pass the ONNX checker', () => {
  it('every golden source model', async () => {
    const cases = sourceCases();
    expect(cases.length, 'golden cases are needed for this tier').toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'kconv-onnx-check-'));
    try {
      let exported = 0;
      let refused = 0;
      for (const c of cases) {
        // a source kconv cannot read is the golden tiers' subject (the ONNX tier counts it)
        const graph = await readSourceAsUser(c).catch((e) => {
          if (isKconvError(e)) return null;
          throw e;
        });
        if (!graph) continue;
        let bytes: Uint8Array;
        try {
          bytes = writeOnnx(graph).bytes;
        } catch (e) {
          // a refusal is the ONNX tier's subject: it asserts every one against onnx-matrix.json
          if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') {
            refused++;
            continue;
          }
          throw e;
        }
        writeFileSync(join(dir, `${c.id.replace('/', '__')}.onnx`), bytes);
        exported++;
      }
      const python = join(venvFor('onnx'), 'bin', 'python');
      const report = JSON.parse(execFileSync(python, [join(ROOT, 'test', 'roundtrip', 'onnx_check.py'), dir], { encoding: 'utf8', maxBuffer: 64 << 20 }));
      console.log(`ONNX checker (onnx ${report.onnx}): ${report.checked} files, ${report.failures.length} failures (${refused} sources refused by the writer)`);
      expect(report.failures).toEqual([]);
      expect(report.checked).toBe(exported);
      expect(exported).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
