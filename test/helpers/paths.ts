/** Where tests find the repo's fixtures and the shared corpus. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');
/**
 * The shared corpus sits beside the repository (`../shared/corpus`); a git worktree one level
 * deeper (`wt/<branch>`) finds it one more level up. KCONV_CORPUS overrides both.
 */
export const CORPUS =
  process.env.KCONV_CORPUS ??
  [resolve(ROOT, '..', 'shared', 'corpus'), resolve(ROOT, '..', '..', 'shared', 'corpus')].find((p) => existsSync(p)) ??
  resolve(ROOT, '..', 'shared', 'corpus');

let skipReported = false;

/**
 * Whether tests that read ../shared/corpus should run. They run whenever it exists; under CI
 * (CI=true) its absence is a failure, never a silent skip. Outside CI a missing corpus skips them
 * and says so once per test file, so a bare clone's `npm test` shows what it did not run.
 */
export function corpusAvailable(): boolean {
  if (existsSync(CORPUS)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but the shared corpus is missing at ${CORPUS}: corpus tests must run in CI`);
  }
  if (!skipReported) {
    skipReported = true;
    console.warn(`skipped: the shared corpus tests of this file (no corpus at ${CORPUS}; set KCONV_CORPUS, mandatory under CI=true)`);
  }
  return false;
}
