/**
 * Threads in browsers (src/runtime/threads/web.ts): in headless Chromium, on a page served with
 * the COOP/COEP headers (cross-origin isolated), the default Conv1D path is the WASM kernel over
 * Web Workers; its results equal the reference plan and a worker really computes part of a run.
 * Without the headers, the page keeps the single-thread kernel.
 *
 * The page script (threads-page.ts) is bundled with esbuild (a devDependency); Debian's Chromium
 * through playwright-core as in demo.test.ts, never a downloaded browser; offsite requests abort.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { startStaticServer } from '../../scripts/static-server.mjs';

const CHROMIUM = process.env.KCONV_CHROMIUM ?? '/usr/bin/chromium';

/** Runs whenever Chromium is installed; under CI its absence is a failure, not a skip. */
function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium)`);
  return false;
}

interface Check {
  isolated: boolean;
  available: boolean;
  defaultPath: string;
  threads: number;
  pass: boolean;
  message: string;
  helped: boolean;
}

describe.runIf(chromiumAvailable())('WASM Conv1D threads in headless Chromium', () => {
  const servers: { url: string; close(): Promise<void> }[] = [];
  let context: BrowserContext;
  let profile: string;
  let pagePath: string;

  beforeAll(async () => {
    const out = join(ROOT, 'node_modules', '.cache', 'kconv-test', 'threads');
    mkdirSync(out, { recursive: true });
    await build({ entryPoints: [join(ROOT, 'test', 'browser', 'threads-page.ts')], outfile: join(out, 'page.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning' });
    writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>\n');
    pagePath = relative(ROOT, join(out, 'index.html'));
    profile = mkdtempSync(join(tmpdir(), 'kconv-chromium-threads-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    for (const s of servers) await s.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function runPage(isolate: boolean): Promise<Check> {
    const server = await startStaticServer(ROOT, 0, { isolate });
    servers.push(server);
    const page = await context.newPage();
    await page.route('**/*', (route) => (route.request().url().startsWith(`${server.url}/`) ? route.continue() : route.abort()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/${pagePath}`);
    await page.waitForFunction(() => 'kconvThreads' in globalThis, undefined, { timeout: 60_000 });
    const result = await page.evaluate(() => (globalThis as unknown as { kconvThreads(): Promise<Check> }).kconvThreads());
    await page.close();
    expect(errors).toEqual([]);
    return result;
  }

  it('cross-origin isolated: the default runs over Web Workers, equals the reference, and a worker computes', async () => {
    const r = await runPage(true);
    expect(r.isolated).toBe(true);
    expect(r.available).toBe(true);
    expect(r.defaultPath).toBe('wasm-simd-web-threads');
    expect(r.threads).toBeGreaterThan(1);
    expect(r.pass, r.message).toBe(true);
    expect(r.helped).toBe(true);
  }, 120_000);

  it('without COOP/COEP: no SharedArrayBuffer, the single-thread kernel', async () => {
    const r = await runPage(false);
    expect(r.isolated).toBe(false);
    expect(r.available).toBe(false);
    expect(r.defaultPath).toBe('wasm-simd');
    expect(r.pass, r.message).toBe(true);
  }, 120_000);
});
