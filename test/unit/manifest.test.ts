/**
 * fixtures/manifest.json is the list of golden cases: every file it names must exist with the
 * recorded sha256, every file in a case directory must be listed, and the whole fixture tree must
 * stay within its 50 MB budget. (40 MB until issue 15 added ten environments, five Keras
 * generations from Keras 1.2 on Theano to Keras 3.12, about 17 MB with each env's covering design
 * thinned to its primary format; the NumPy Conv1D oracle is another 0.5 MB.)
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../helpers/cases.js';
import { FIXTURES } from '../helpers/paths.js';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('fixtures/manifest.json', () => {
  const manifest = readManifest();

  it('lists at least 300 cases across at least 5 Keras versions', () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(300);
    const versions = new Set(
      manifest.cases.map((c) => {
        const json = JSON.parse(readFileSync(join(FIXTURES, c.dir, 'case.json'), 'utf8'));
        return json.versions.tf_keras ? `tf_keras ${json.versions.tf_keras}` : `keras ${json.versions.keras}`;
      }),
    );
    expect(versions.size).toBeGreaterThanOrEqual(5);
  });

  it('matches the files on disk: each listed file exists with its sha256, nothing unlisted', () => {
    const problems: string[] = [];
    const listed = new Set<string>();
    for (const c of manifest.cases) {
      for (const [file, sha] of Object.entries(c.files)) {
        const path = join(FIXTURES, c.dir, file);
        listed.add(path);
        let actual: string;
        try {
          actual = createHash('sha256').update(readFileSync(path)).digest('hex');
        } catch {
          problems.push(`missing: ${c.dir}/${file}`);
          continue;
        }
        if (actual !== sha) problems.push(`hash differs: ${c.dir}/${file}`);
      }
    }
    for (const path of walk(join(FIXTURES, 'cases'))) {
      if (!listed.has(path)) problems.push(`not in the manifest: ${relative(FIXTURES, path)}`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps fixtures/ under 50 MB', () => {
    const bytes = walk(FIXTURES).reduce((sum, p) => sum + statSync(p).size, 0);
    expect(bytes).toBeLessThan(50 * 1024 * 1024);
  });
});
