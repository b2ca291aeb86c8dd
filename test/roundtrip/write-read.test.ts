/**
 * Tier (a), pure TypeScript: every golden model × every (target, format) it can be written to:
 * write → read back with kconv's readers → same IR (ops, attributes, weights bit for bit), and
 * A → B → A through a different Keras generation is lossless (the config kconv would write for A
 * is identical, and so are the weights). Refusals must be NOT_REPRESENTABLE.
 */
import { describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import { emitModel } from '../../src/keras/emit/model.js';
import { saveWithReport } from '../../src/keras/write/save.js';
import { sourceFamily } from '../../src/keras/targets.js';
import type { Graph } from '../../src/ir/graph.js';
import { graphDiff, jsonDiff, matrixText, MATRIX_FILE, readBack, readSourceAsUser, refusedOutcome, sourceCases, targetKey, WRITE_TARGETS, writeMatrix, type Outcome, type WriteTarget } from './support.js';
import { existsSync, readFileSync } from 'node:fs';

const cases = sourceCases();

const envs = [...new Set(cases.map((c) => c.env))];
/** Envs whose golden models no target can hold, and why (the round trips are all refusals). */
const ONLY_REFUSED: Record<string, string> = {};

/** What every writer did with every source, for the committed matrix. */
const outcomes = new Map<string, Outcome>();

describe('write → read back is the identity on the IR', () => {
  it.each(envs)('every golden model from %s, every target it can be written to', async (env) => {
    const counts = new Map<string, { written: number; equal: number; refused: number; unread: number }>();
    const failures: string[] = [];
    for (const c of cases.filter((x) => x.env === env)) {
      const graph = await readSourceAsUser(c);
      for (const wt of WRITE_TARGETS) {
        const key = `${wt.target.id} ${wt.format}`;
        const row = counts.get(key) ?? { written: 0, equal: 0, refused: 0, unread: 0 };
        counts.set(key, row);
        let bytes: Uint8Array;
        try {
          bytes = (await saveWithReport(graph, { format: wt.format, target: wt.target })).bytes;
          outcomes.set(`${c.id} → ${targetKey(wt)}`, 'written');
        } catch (e) {
          if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') {
            outcomes.set(`${c.id} → ${targetKey(wt)}`, refusedOutcome(e.message));
            row.refused++;
            continue;
          }
          failures.push(`${c.id} → ${key}: write failed: ${(e as Error).message}`);
          continue;
        }
        row.written++;
        const back = await readBack(bytes, wt, graph).catch((e: Error) => {
          failures.push(`${c.id} → ${key}: read back failed: ${e.message}`);
          return undefined;
        });
        if (back === null) {
          row.unread++;
          continue;
        }
        if (!back) continue;
        const diffs = graphDiff(graph, back);
        if (diffs.length === 0) row.equal++;
        else failures.push(`${c.id} → ${key}: ${diffs.slice(0, 3).join('; ')}`);
      }
    }
    console.log(`round trip write → read, ${cases.filter((x) => x.env === env).length} source models from ${env}`);
    for (const [k, r] of counts) console.log(`  ${k.padEnd(28)} written ${r.written}, equal ${r.equal}, refused ${r.refused}, no TS reader yet ${r.unread}`);
    expect(failures).toEqual([]);
  }, 600_000);
  it('has golden cases to run (fixtures/cases)', () => {
    if (process.env.CI === 'true') expect(cases.length).toBeGreaterThan(0);
  });
  // After the per-env tests above (vitest runs a file's tests in order): the whole matrix, exactly.
  it.runIf(cases.length > 0 && !process.env.KCONV_CASE_FILTER)('writes and refuses exactly what the committed matrix says (test/roundtrip/expected-matrix.md)', () => {
    expect(outcomes.size).toBe(cases.length * WRITE_TARGETS.length);
    if (process.env.KCONV_UPDATE_MATRIX === '1') writeMatrix(outcomes);
    expect(existsSync(MATRIX_FILE), `${MATRIX_FILE} is missing: generate it with KCONV_UPDATE_MATRIX=1`).toBe(true);
    // compared as text: a mismatch shows the changed lines
    expect(matrixText(outcomes)).toEqual(readFileSync(MATRIX_FILE, 'utf8'));
  });
});

describe('A → B → A across Keras generations is lossless', () => {
  const find = (id: string, format: WriteTarget['format']) => WRITE_TARGETS.find((t) => t.target.id === id && t.format === format)!;
  const keras2Back = find('tf-keras-2.15', 'keras-h5');
  const keras3Back = find('keras-3.15', 'keras-v3');
  /** Through the other generation and back to the source's own. */
  function hopsFor(graph: Graph): [WriteTarget, WriteTarget][] {
    if (sourceFamily(graph) === 'keras3') return [[keras2Back, keras3Back], [find('tf-keras-2.13', 'keras-h5'), keras3Back], [find('tf-keras-2.21', 'keras-h5-weights'), keras3Back]];
    return [[keras3Back, keras2Back], [find('keras-3.0', 'keras-v3'), keras2Back], [find('keras-3.15', 'keras-h5'), keras2Back], [find('keras-3.15', 'keras-v3-weights'), keras2Back]];
  }
  it.each(envs)('every golden model from %s: source → other generation → source generation keeps config and weights', async (env) => {
    const failures: string[] = [];
    let checked = 0;
    let refused = 0;
    for (const c of cases.filter((x) => x.env === env)) {
      const a = await readSourceAsUser(c);
      for (const [b, back] of hopsFor(a)) {
        let again: Graph | null;
        try {
          const mid = await readBack((await saveWithReport(a, { format: b.format, target: b.target })).bytes, b, a);
          again = await readBack((await saveWithReport(mid!, { format: back.format, target: back.target })).bytes, back, a);
        } catch (e) {
          if (isKconvError(e) && e.code === 'NOT_REPRESENTABLE') {
            refused++;
            continue;
          }
          throw e;
        }
        const diffs = graphDiff(a, again!);
        const style = back.target.family === 'keras3' ? 'saving_lib' : 'legacy';
        const configDiff = jsonDiff(emitModel(a, back.target, style).config, emitModel(again!, back.target, style).config);
        if (configDiff.length) diffs.push(`config differs at ${configDiff.join('; ')}`);
        if (diffs.length) failures.push(`${c.id} via ${b.target.id} ${b.format}: ${diffs.slice(0, 3).join('; ')}`);
        checked++;
      }
    }
    console.log(`A → B → A: ${checked} round trips lossless-checked, ${refused} refused (NOT_REPRESENTABLE in B)`);
    expect(failures).toEqual([]);
    if (ONLY_REFUSED[env]) {
      // every model of these envs is refused by every writer; if one is written, check it here
      expect(checked, ONLY_REFUSED[env]).toBe(0);
      expect(refused).toBeGreaterThan(0);
    } else {
      expect(checked).toBeGreaterThan(0);
    }
  }, 600_000);
});
