/**
 * `kconv bench`'s browser run: the fixture models in headless Chromium, kconv against tfjs-wasm in
 * the same page (src/bench/browser/page.ts), reported beside the Node numbers.
 *
 * Needs what only a checkout of kconv has: esbuild (a devDependency) to bundle the page, the
 * fixture, and Debian's Chromium (`which chromium`, or KCONV_CHROMIUM), driven through
 * playwright-core; a browser is never downloaded. The page is served from 127.0.0.1 with the
 * cross-origin isolation headers (COOP/COEP), so SharedArrayBuffer exists there; every request to
 * anywhere else is aborted. A fresh profile directory per run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PageRequest, PageResult } from './browser/page.js';
import { modelLabel } from './model.js';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');

export interface BrowserBenchOptions {
  /** The fixture models to time, each at its [batch, steps]. */
  cases: { caseDir: string; timing: { batch: number; steps: number } }[];
  /** Conv1D shape ids to time in the page as well. */
  shapes?: string[];
  budgetSeconds: number;
  log?: (line: string) => void;
}

function findChromium(): string | null {
  if (process.env.KCONV_CHROMIUM) return process.env.KCONV_CHROMIUM;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Bundles the page (esbuild) under node_modules/.cache/kconv-bench/browser/; returns its folder. */
async function buildPage(): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(ROOT, 'node_modules', '.cache', 'kconv-bench', 'browser');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'src', 'bench', 'browser', 'page.ts')],
    outfile: join(out, 'page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
  });
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>kconv bench</title><script type="module" src="page.js"></script>\n');
  return out;
}

/** Runs the page; null (with a log line saying why) when Chromium or esbuild is not there. */
export async function benchBrowser(opts: BrowserBenchOptions): Promise<PageResult | null> {
  const log = opts.log ?? (() => {});
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    log('browser run: no Chromium (which chromium; or set KCONV_CHROMIUM), skipped');
    return null;
  }
  let pageDir: string;
  try {
    pageDir = await buildPage();
  } catch (e) {
    log(`browser run: the page could not be bundled (esbuild is a devDependency: run from a checkout): ${(e as Error).message.split('\n')[0]}, skipped`);
    return null;
  }
  const { chromium } = await import('playwright-core');
  const { startStaticServer } = (await import(pathToFileURL(join(ROOT, 'scripts', 'static-server.mjs')).href)) as {
    startStaticServer(root: string, port?: number, options?: { isolate?: boolean }): Promise<{ url: string; close(): Promise<void> }>;
  };
  const server = await startStaticServer(ROOT, 0, { isolate: true });
  const profile = mkdtempSync(join(tmpdir(), 'kconv-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await context.route('**/*', (route) => (route.request().url().startsWith(`${server.url}/`) ? route.continue() : route.abort()));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const url = (p: string) => `${server.url}/${relative(ROOT, p).split('\\').join('/')}`;
    await page.goto(url(join(pageDir, 'index.html')));
    await page.waitForFunction(() => 'kconvBench' in globalThis, undefined, { timeout: 60_000 });
    const tfjsWasm = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
    if (!existsSync(join(tfjsWasm, 'tfjs-backend-wasm.wasm'))) throw new Error('@tensorflow/tfjs-backend-wasm is not installed');
    const req: PageRequest = {
      models: opts.cases.map(({ caseDir, timing }) => {
        const caseJson = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as { files: { model: string; inputs: string[]; expected: string[] } };
        return {
          label: modelLabel(caseDir, timing),
          model: url(join(caseDir, caseJson.files.model)),
          input: url(join(caseDir, caseJson.files.inputs[0])),
          expected: url(join(caseDir, caseJson.files.expected[0])),
          filename: caseJson.files.model,
          batch: timing.batch,
          steps: timing.steps,
        };
      }),
      budgetMs: opts.budgetSeconds * 1000,
      tfjsWasm: `${url(tfjsWasm)}/`,
      shapes: opts.shapes ?? [],
    };
    const result = (await page.evaluate((r) => (globalThis as unknown as { kconvBench(r: PageRequest): Promise<PageResult> }).kconvBench(r), req)) as PageResult;
    for (const line of [...result.log, ...errors]) log(`(browser) ${line}`);
    return result;
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
