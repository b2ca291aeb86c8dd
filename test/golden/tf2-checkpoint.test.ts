/**
 * TF2 object-based checkpoints (`model.save_weights(..., save_format="tf")` in tf.keras 2.15),
 * loaded into the architecture saved beside them (model.to_json()); outputs must match Keras's
 * within the case's tolerance.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkpointGraph } from '../../src/tf/checkpoint.js';
import { resolveCheckpoint } from '../../src/node/checkpoint-files.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareWithKeras, goldenCases } from '../helpers/cases.js';
import { FIXTURES } from '../helpers/paths.js';

const haveManifest = existsSync(join(FIXTURES, 'manifest.json'));
if (!haveManifest && process.env.CI === 'true') throw new Error(`CI=true but ${join(FIXTURES, 'manifest.json')} is missing: the golden tiers must run in CI`);
const cases = haveManifest ? goldenCases('tf2-ckpt') : [];

describe('TF2 object-based checkpoint golden cases', () => {
  test('the manifest lists TF2 checkpoint cases (when fixtures are present)', () => {
    if (haveManifest) expect(cases.length).toBeGreaterThan(0);
  });

  test.each(cases.map((c) => [`${c.entry.env} ${c.entry.id}`, c] as const))('%s', (_id, c) => {
    const architecture = JSON.parse(readFileSync(join(c.dir, c.json.files.architecture!), 'utf8'));
    const files = resolveCheckpoint(join(c.dir, c.json.files.model!));
    const graph = checkpointGraph(files, { architecture });
    expect(graph.provenance.format).toBe('tf2-checkpoint');
    expect(graph.provenance.warnings.filter((w) => w.includes('not used'))).toEqual([]);
    // A case without Keras's output must say why (expectError: TensorFlow could not run the graph);
    // one that silently has none would pass on loading alone.
    if (c.json.files.expected.length === 0) {
      expect(c.json.expectError, `${c.entry.id} has no expected output and is not marked expectError`).toBe(true);
      expect(c.json.notes ?? '', `${c.entry.id}: expectError without a recorded reason`).toMatch(/\S/);
      return;
    }
    const cmp = compareWithKeras(c, runGraph(graph, c.inputs()));
    expect(cmp.pass, cmp.message).toBe(true);
  });
});
