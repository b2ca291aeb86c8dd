/**
 * kconv as a consumer gets it: `npm pack`, then `npm install` of the tarball into an empty
 * project. The library (isomorphic and Node entries), its types under `strict`, and the `kconv`
 * command work there, and the benchmark's peers (onnxruntime-node, tfjs) are not installed with
 * it. The README's Node example is the program the consumer runs and typechecks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { ROOT } from '../helpers/paths.js';
import { codeBlocks } from './readme-blocks.js';

let project: string;

function sh(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  ensureBuilt();
  project = mkdtempSync(join(tmpdir(), 'kconv-consumer-'));
  // dist/ is already built: --ignore-scripts keeps pack from rebuilding it.
  const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], ROOT);
  expect(pack.code, pack.stderr).toBe(0);
  const tarball = join(project, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // Its dependencies are in npm's cache after `npm ci`; the registry is asked only if they are not.
  const install = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
  expect(install.code, install.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('npm pack, installed in another project', () => {
  it('installs without the benchmark peers', () => {
    const modules = join(project, 'node_modules');
    expect(existsSync(join(modules, 'kconv', 'dist', 'index.js'))).toBe(true);
    for (const peer of ['onnxruntime-node', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'typescript', 'vitest']) {
      expect(existsSync(join(modules, peer)), peer).toBe(false);
    }
  });

  it("runs the README's Node example and gives the README's output", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const blocks = codeBlocks(readme);
    const example = blocks.find((b) => b.run === 'node')!;
    const output = blocks[blocks.indexOf(example) + 1];
    expect(output.run).toBe('output');
    writeFileSync(join(project, 'example.mjs'), example.body);
    // The example reads examples/ relative to the working directory: run it from the repository,
    // while `kconv` resolves from the consumer's node_modules (next to the script).
    const r = sh(process.execPath, [join(project, 'example.mjs')], ROOT);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(output.body.trim());
  });

  it("the README's Node example typechecks under strict against the installed types", () => {
    const example = codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).find((b) => b.run === 'node')!;
    writeFileSync(join(project, 'example.ts'), example.body);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = sh(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', 'example.ts'],
      project,
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('the kconv command works from the consumer project', () => {
    const r = sh('npx', ['kconv', 'inspect', join(ROOT, 'examples', 'conv1d-classifier', 'model.h5')], project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Conv1D layers (canonical config)');
    expect(r.stderr).toBe('');
  });
});
