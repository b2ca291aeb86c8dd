/**
 * Golden cases in the Keras v3 formats, written by real Keras (fixtures/): `.keras` archives from
 * Keras 3 (`keras`) and from tf.keras 2.13/2.15 (`keras2-keras`), and `.weights.h5` files loaded
 * into their `to_json()` architecture (`weights-h5`). Each loads, runs, and matches Keras's output
 * within the case's named tolerance (see compareWithKeras for the one case family whose file
 * describes another model than the one Keras saved).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { readKerasArchive, readKerasWeightsH5 } from '../../src/keras/read/v3-archive.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareWithKeras, goldenCases, savedByKeras, type GoldenCase } from '../helpers/cases.js';

const cases = goldenCases('keras', 'keras2-keras', 'weights-h5').filter(savedByKeras);

async function load(c: GoldenCase): Promise<Graph> {
  const model = c.json.files.model!;
  const filename = `${c.entry.id}/${model}`;
  if (c.json.format === 'weights-h5') {
    const architecture = c.json.files.architecture;
    if (!architecture) throw new Error(`case ${c.entry.id} names no architecture file`);
    return readKerasWeightsH5(c.bytes(model), c.bytes(architecture), { filename });
  }
  return readKerasArchive(c.bytes(model), { filename });
}

/** Worst absolute error per env/format, printed at the end. */
const summary = new Map<string, { cases: number; maxAbsError: number }>();

describe('golden cases in Keras v3 formats (.keras, .weights.h5)', () => {
  it('has golden cases in every Keras v3 format', () => {
    expect(new Set(cases.map((c) => c.json.format))).toEqual(new Set(['keras', 'keras2-keras', 'weights-h5']));
  });

  for (const c of cases) {
    it(`${c.entry.env} ${c.entry.id}`, async () => {
      const outputs = runGraph(await load(c), c.inputs());
      const cmp = compareWithKeras(c, outputs);
      expect(cmp.pass, cmp.message).toBe(true);
      const key = `${c.entry.env} ${c.json.format}${cmp.oracle === 'reloaded' ? ' (vs Keras reading the file)' : ''}`;
      const s = summary.get(key) ?? { cases: 0, maxAbsError: 0 };
      summary.set(key, { cases: s.cases + 1, maxAbsError: Math.max(s.maxAbsError, cmp.maxAbsError) });
    });
  }

  afterAll(() => {
    const lines = [...summary.entries()].sort().map(([k, s]) => `  ${k}: ${s.cases} matched, max |error| ${s.maxAbsError.toExponential(2)}`);
    console.log(`Keras v3 golden cases:\n${lines.join('\n')}`);
  });
});
