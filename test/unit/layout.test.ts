/**
 * The house rules of the source tree that a reader relies on (docs/modules.md): the CLI is built
 * on the public API only, so everything it does a library user can do too; a comment cites only
 * files in the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The repository-relative `.ts` files a source file imports (static and dynamic, relative specifiers). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    relative(ROOT, resolve(ROOT, dirname(file), m[1])).replace(/\.js$/, '.ts'),
  );
}

describe('source layout', () => {
  it('the CLI imports only the public API (src/index.ts, src/node.ts) and the benchmark harness', () => {
    const files = sourceFiles('src/cli');
    expect(files.length).toBeGreaterThan(5);
    const outside = files.flatMap((f) =>
      importsOf(f)
        .filter((i) => !i.startsWith('src/cli/') && !['src/index.ts', 'src/node.ts', 'src/bench/index.ts'].includes(i))
        .map((i) => `${f} imports ${i}`),
    );
    expect(outside).toEqual([]);
  });

  it('src/formats (bytes) imports nothing from the IR: Tensor lives in the base module src/tensor.ts', () => {
    const files = sourceFiles('src/formats');
    expect(files.length).toBeGreaterThan(10);
    const intoIr = files.flatMap((f) => importsOf(f).filter((i) => i.startsWith('src/ir/')).map((i) => `${f} imports ${i}`));
    expect(intoIr).toEqual([]);
  });

  it('no comment points outside the repository, and every docs/*.md a comment cites exists', () => {
    const files = ['src', 'test', 'scripts'].flatMap((d) => sourceFiles(d));
    expect(files.length).toBeGreaterThan(100);
    const outside: string[] = [];
    const missing: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      if (/\/work\/|shared\/docs/.test(text)) outside.push(f);
      for (const m of text.matchAll(/\bdocs\/([\w.-]+\.md)/g)) if (!existsSync(join(ROOT, 'docs', m[1]))) missing.push(`${f}: docs/${m[1]}`);
    }
    expect(outside).toEqual([]);
    expect(missing).toEqual([]);
  });
});
