/**
 * The README tells the truth: its first screen has exactly the two commands a newcomer needs,
 * every `$ npx kconv ...` example prints what the README shows (run as a real process), the Node
 * example runs, and the error-code table matches ERROR_CODES.
 *
 * After changing the CLI's output on purpose, refresh the README with
 *   KCONV_UPDATE_README=1 npx vitest run test/cli/readme.test.ts
 * and review the diff.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { ROOT } from '../helpers/paths.js';
import { codeBlocks, consoleBlocks, errorCodeTable, errorTableIn, withErrorTable, withOutputs } from './readme-blocks.js';
import { kconv } from './run-kconv.js';

const README = join(ROOT, 'README.md');
const UPDATE = process.env.KCONV_UPDATE_README === '1';

beforeAll(() => ensureBuilt(), 240_000);

/** Every key of `part` is in `whole` with the same value; arrays match element-wise as a prefix. */
function expectSubset(whole: unknown, part: unknown, path: string): void {
  if (Array.isArray(part)) {
    expect(Array.isArray(whole), path).toBe(true);
    const w = whole as unknown[];
    expect(w.length, path).toBeGreaterThanOrEqual(part.length);
    part.forEach((p, i) => expectSubset(w[i], p, `${path}[${i}]`));
  } else if (part !== null && typeof part === 'object') {
    expect(typeof whole, path).toBe('object');
    for (const [k, v] of Object.entries(part)) expectSubset((whole as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect(whole, path).toEqual(part);
  }
}

/** The first screen: everything before the second-level heading that follows the intro. */
function firstScreen(readme: string): string {
  const at = readme.indexOf('\n## ');
  return at < 0 ? readme : readme.slice(0, at);
}

describe('README', () => {
  const readme = readFileSync(README, 'utf8');

  it('the first screen gives exactly two commands: try kconv on the bundled example, and run the tests', () => {
    const screen = firstScreen(readme);
    expect(screen.split('\n').length).toBeLessThanOrEqual(30);
    const commands = codeBlocks(screen).filter((b) => b.lang === 'sh');
    expect(commands.map((b) => b.body.split('\n').length)).toEqual([1, 1]);
    expect(commands[0].body).toMatch(/^npm ci && npx kconv inspect examples\/\S+ && npx kconv run examples\/\S+ /);
    expect(commands[1].body).toBe('npm ci && npm test');
  });

  it('the first command works and shows the model and a prediction matching Keras', () => {
    const [tryIt] = codeBlocks(firstScreen(readme)).filter((b) => b.lang === 'sh');
    const parts = tryIt.body.split('&&').map((s) => s.trim());
    expect(parts[0]).toBe('npm ci');
    const outputs = parts.slice(1).map((part) => {
      expect(part).toMatch(/^npx kconv /);
      const r = kconv(part.replace(/^npx kconv /, '').split(/\s+/));
      expect(r.code, `${part}\n${r.stderr}`).toBe(0);
      return r.stdout;
    });
    expect(outputs[0]).toContain('Conv1D layers (canonical config)');
    expect(outputs[1]).toMatch(/vs examples\/\S+\/expected\.npy: MATCH/);
  });

  it('every console example prints what the README shows', () => {
    const blocks = consoleBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const actual = new Map<number, string>();
    for (const b of blocks) {
      const r = kconv(b.args);
      const shown = (b.mergeStderr ? r.stdout + r.stderr : r.stdout).replace(/\n$/, '');
      actual.set(b.line, shown);
      if (UPDATE) continue;
      expect(r.code, `${b.command}\n${r.stderr}`).toBe(b.exitCode);
      expect(shown, `README line ${b.line}: ${b.command}`).toBe(b.output);
    }
    if (UPDATE) writeFileSync(README, withOutputs(readFileSync(README, 'utf8'), actual));
  });

  it('the Node example runs against the built package and prints what the README shows', () => {
    const blocks = codeBlocks(readme);
    const nodeBlocks = blocks.filter((b) => b.run === 'node');
    expect(nodeBlocks.length).toBeGreaterThanOrEqual(1);
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    nodeBlocks.forEach((b, i) => {
      // Inside the repo so that `import ... from 'kconv'` resolves to this package itself.
      const script = join(ROOT, 'tmp', `readme-node-${i}.mjs`);
      writeFileSync(script, b.body);
      const r = spawnSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const next = blocks[blocks.indexOf(b) + 1];
      if (next && next.lang === 'text' && next.run === 'output') expect(r.stdout.trimEnd()).toBe(next.body);
    });
  });

  it('the inspect --json excerpt is part of the real report', () => {
    const excerpts = codeBlocks(readme).filter((b) => b.run === 'json-excerpt');
    expect(excerpts).toHaveLength(1);
    const excerpt = JSON.parse(excerpts[0].body);
    const r = kconv(['inspect', excerpt.file, '--json']);
    expect(r.code).toBe(0);
    expectSubset(JSON.parse(r.stdout), excerpt, 'report');
  });

  // The console blocks are kconv's own output; these numbers are Keras's. keras-summary.json beside
  // each example model was recorded from real Keras (fixtures/generate/keras_summary.py).
  it('every `kconv inspect` block shows the layers, output shapes and parameter counts Keras reports', () => {
    const blocks = consoleBlocks(readme).filter((b) => b.args[0] === 'inspect' && /\.(h5|keras)$/.test(b.args[1] ?? ''));
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) {
      const keras = JSON.parse(readFileSync(join(ROOT, dirname(b.args[1]), 'keras-summary.json'), 'utf8')) as {
        countParams: number;
        inputs: (number | null)[][];
        layers: { name: string; class_name: string; output_shape: (number | null)[]; params: number }[];
      };
      const shape = (dims: (number | null)[]) => `(${dims.map((d) => (d === null ? 'None' : d)).join(', ')}${dims.length === 1 ? ',' : ''})`;
      const lines = b.output.split('\n');
      const header = lines.findIndex((l) => /^Layer\s+Class\s+Output shape\s+Params$/.test(l));
      expect(header, `${b.command}: no layer table`).toBeGreaterThan(0);
      const rows = lines.slice(header + 1, lines.indexOf('', header)).map((l) => {
        const m = /^(\S+)\s+(\S+)\s+(\(.*?\))\s+(\d+)$/.exec(l);
        expect(m, `${b.command}: layer row '${l}'`).not.toBeNull();
        return { name: m![1], className: m![2], shape: m![3], params: Number(m![4]) };
      });
      // Keras lists the Sequential's InputLayer only through model.inputs
      const inputs = rows.filter((r) => r.className === 'InputLayer');
      expect(inputs.map((r) => r.shape)).toEqual(keras.inputs.map(shape));
      expect(rows.filter((r) => r.className !== 'InputLayer')).toEqual(
        keras.layers.map((l) => ({ name: l.name, className: l.class_name, shape: shape(l.output_shape), params: l.params })),
      );
      expect(b.output).toContain(`Weights: ${keras.countParams} parameters`);
    }
  });

  it('the error-code table is ERROR_CODES', () => {
    if (UPDATE) writeFileSync(README, withErrorTable(readFileSync(README, 'utf8')));
    expect(errorTableIn(readFileSync(README, 'utf8'))).toBe(errorCodeTable());
  });
});
