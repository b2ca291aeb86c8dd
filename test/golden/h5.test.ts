/**
 * Golden cases in legacy HDF5 (formats `h5`: model.save("x.h5"), and `h5-weights`:
 * save_weights("x.h5") + to_json()), written by real Keras of each env: load with kconv, run with
 * kconv's runtime, compare with what Keras predicted, within the case's named tolerance.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { loadWeightsInto, readKerasH5 } from '../../src/keras/read/h5.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareWithKeras, goldenCases, KNOWN_UNSUPPORTED, savedByKeras, type GoldenCase } from '../helpers/cases.js';
import { isKconvError } from '../../src/errors.js';

async function load(c: GoldenCase): Promise<Graph> {
  const files = c.json.files;
  // Keras 1 files do not record their backend: say which one wrote them, as a user would (--backend)
  const backend = c.json.versions.backend as 'theano' | 'tensorflow' | undefined;
  const options = { filename: files.model, ...(backend ? { backend } : {}) };
  if (c.entry.format === 'h5') return readKerasH5(c.bytes(files.model!), options);
  return loadWeightsInto(c.bytes(files.architecture!), c.bytes(files.model!), options);
}

describe('golden legacy .h5 cases', () => {
  const all = goldenCases('h5', 'h5-weights');
  const cases = all.filter(savedByKeras);
  const stats = new Map<string, { matched: number; viaReload: number; total: number; maxAbs: number }>();

  afterAll(() => {
    const lines = [...stats.entries()]
      .sort()
      .map(([k, s]) => `${k}: ${s.matched}/${s.total} matched (${s.viaReload} against Keras's reload), max |err| ${s.maxAbs.toExponential(2)}`);
    const unsaved = all.filter((c) => !savedByKeras(c)).map((c) => `${c.entry.env}/${c.entry.id}`);
    console.log(`golden h5 summary\n${lines.join('\n')}\nKeras could not save (no file to read): ${unsaved.join(', ') || 'none'}`);
  });

  it('has h5 cases from at least five Keras versions', () => {
    expect(new Set(cases.map((c) => c.json.versions.keras ?? c.json.versions.tf_keras)).size).toBeGreaterThanOrEqual(5);
  });

  for (const c of cases.filter((x) => KNOWN_UNSUPPORTED[`${x.entry.env}/${x.entry.id}`])) {
    it(`${c.entry.env} ${c.entry.id}: refused as a known gap`, async () => {
      const known = KNOWN_UNSUPPORTED[`${c.entry.env}/${c.entry.id}`];
      const error = await load(c).then(() => undefined, (e: unknown) => e);
      expect(isKconvError(error) && error.code, String(error)).toBe(known.code);
      expect((error as Error).message).toMatch(known.message);
    });
  }

  for (const c of cases.filter((x) => !KNOWN_UNSUPPORTED[`${x.entry.env}/${x.entry.id}`])) {
    it(`${c.entry.env} ${c.entry.id}`, async () => {
      const key = `${c.entry.env}/${c.entry.format}`;
      const s = stats.get(key) ?? { matched: 0, viaReload: 0, total: 0, maxAbs: 0 };
      stats.set(key, s);
      s.total++;
      const outputs = runGraph(await load(c), c.inputs());
      const cmp = compareWithKeras(c, outputs);
      s.maxAbs = Math.max(s.maxAbs, cmp.maxAbsError);
      expect(cmp.pass, cmp.message).toBe(true);
      s.matched++;
      if (cmp.oracle === 'reloaded') s.viaReload++;
    });
  }
});
