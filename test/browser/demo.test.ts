/**
 * The demo page in headless Chromium: load a model written by real Keras, run it on the input
 * Keras was given, and compare what the page computed with Keras's own output (`close`).
 *
 * Uses the system Chromium (Debian's `chromium` package) through playwright-core, never a
 * downloaded browser. The page is served from 127.0.0.1 by the test, and every request that is
 * not to that server is aborted, so the test also proves the page needs no network.
 * A screenshot after the run goes to test/browser/screenshots/ (git-ignored) for inspection.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/formats/npy.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { ensureBuilt } from '../helpers/build.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';

interface DemoState {
  status: string;
  loads: number;
  lastInputs: { shape: number[]; dtype: string; data: number[] }[] | null;
  lastOutputs: { shape: number[]; data: number[] }[] | null;
  lastCharts: { kind: string; topClass?: number }[] | null;
  lastCompare: { name: string; pass: boolean; text: string }[] | null;
  lastConversion: { name: string; bytes: number; warnings: string[] } | null;
  model: { inspect(): { assumedBackend: string | null; runnable: boolean } } | null;
}
import { startStaticServer } from '../../scripts/static-server.mjs';
import { codeBlocks } from '../cli/readme-blocks.js';
import { loadFile, save } from '../../src/node.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';

const CHROMIUM = process.env.KCONV_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(ROOT, 'test', 'browser', 'screenshots');
const EXAMPLE = join(ROOT, 'examples', 'conv1d-classifier');

/** Runs whenever Chromium is installed; under CI its absence is a failure, not a skip. */
function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium)`);
  return false;
}

describe.runIf(chromiumAvailable())('demo page in headless Chromium', () => {
  let server: { url: string; close(): Promise<void> };
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];
  const offsiteRequests: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    server = await startStaticServer(ROOT);
    profile = mkdtempSync(join(tmpdir(), 'kconv-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1000, height: 1400 },
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${server.url}/`)) return route.continue();
      offsiteRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${server.url}/demo/index.html`);
    await page.waitForFunction(() => (window as unknown as { kconvDemo?: { status: string } }).kconvDemo?.status === 'ready');
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const status = () => page.evaluate(() => (window as unknown as { kconvDemo: { status: string } }).kconvDemo.status);

  it('shows a KconvError code and message for a file that is not a model', async () => {
    await page.setInputFiles('#model-file', join(FIXTURES, 'npy', 'f4_2x3_v1.npy'));
    await page.waitForFunction(() => (window as unknown as { kconvDemo: { status: string } }).kconvDemo.status === 'error');
    expect(await page.textContent('#load-error')).toMatch(/^UNSUPPORTED_FORMAT: expected a Keras model/);
    expect(await page.isDisabled('#run-random')).toBe(true);
  });

  it('loads a Keras-written model, runs it on its input and matches Keras within close', async () => {
    await page.setInputFiles('#model-file', join(EXAMPLE, 'model.h5'));
    await page.waitForFunction(() => ['loaded', 'error'].includes((window as unknown as { kconvDemo: { status: string } }).kconvDemo.status));
    expect(await page.textContent('#load-error')).toBe('');
    expect(await page.textContent('#summary')).toContain('Conv1D');

    await page.setInputFiles('#npy-files', join(EXAMPLE, 'input.npy'));
    await page.click('#run-npy');
    await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { kconvDemo: { status: string } }).kconvDemo.status));
    expect(await page.textContent('#run-error')).toBe('');
    expect(await status()).toBe('done');

    const outputs = await page.evaluate(() => (window as unknown as { kconvDemo: { lastOutputs: { shape: number[]; data: number[] }[] } }).kconvDemo.lastOutputs);
    const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    expect(outputs).toHaveLength(1);
    expect(outputs[0].shape).toEqual(expected.shape);
    const c = compareArrays(outputs[0].data, expected.data as Float32Array, TOLERANCES.close);
    expect(c.message ?? '').toBe('');
    expect(c.pass).toBe(true);
    expect(await page.locator('#charts canvas').count()).toBe(1);

    // Random input works too (shapes come from the model's own declaration).
    await page.click('#run-random');
    await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { kconvDemo: { status: string } }).kconvDemo.status));
    expect(await page.textContent('#run-error')).toBe('');
  });

  it('runs a temporal convolutional network golden case and draws its output per channel (screenshot)', async () => {
    const dir = join(FIXTURES, 'cases', 'tf2.15', 'model-tcn--h5');
    await page.setInputFiles('#model-file', join(dir, 'model.h5'));
    await page.waitForFunction(() => ['loaded', 'error'].includes((window as unknown as { kconvDemo: { status: string } }).kconvDemo.status));
    expect(await page.textContent('#load-error')).toBe('');
    await page.setInputFiles('#npy-files', join(dir, 'input.npy'));
    await page.click('#run-npy');
    await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { kconvDemo: { status: string } }).kconvDemo.status));
    expect(await page.textContent('#run-error')).toBe('');
    const outputs = await page.evaluate(() => (window as unknown as { kconvDemo: { lastOutputs: { shape: number[]; data: number[] }[] } }).kconvDemo.lastOutputs);
    const expected = readNpy(new Uint8Array(readFileSync(join(dir, 'expected.npy'))));
    expect(outputs[0].shape).toEqual(expected.shape);
    expect(compareArrays(outputs[0].data, expected.data as Float32Array, TOLERANCES.close).pass).toBe(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-after-run.png'), fullPage: true });
  });

  it.each(['keras3', 'kir'] as const)('loads the example converted to %s and still matches Keras', async (format) => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-demo-'));
    const file = join(dir, `model${format === 'kir' ? '.kir' : '.keras'}`);
    writeFileSync(file, await save(await loadFile(join(EXAMPLE, 'model.h5')), { format }));
    await page.setInputFiles('#model-file', file);
    await page.waitForFunction(() => ['loaded', 'error'].includes((window as unknown as { kconvDemo: { status: string } }).kconvDemo.status));
    expect(await page.textContent('#load-error')).toBe('');
    await page.setInputFiles('#npy-files', join(EXAMPLE, 'input.npy'));
    await page.click('#run-npy');
    await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { kconvDemo: { status: string } }).kconvDemo.status));
    expect(await page.textContent('#run-error')).toBe('');
    const outputs = await page.evaluate(() => (window as unknown as { kconvDemo: { lastOutputs: { shape: number[]; data: number[] }[] } }).kconvDemo.lastOutputs);
    const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    expect(compareArrays(outputs[0].data, expected.data as Float32Array, TOLERANCES.close).pass).toBe(true);
  });

  it("the README's browser example runs and prints the summary and Keras's prediction", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const blocks = codeBlocks(readme).filter((b) => b.run === 'browser');
    expect(blocks).toHaveLength(1);
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    writeFileSync(join(ROOT, 'tmp', 'readme-browser.html'), blocks[0].body);
    const p = await context.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await p.goto(`${server.url}/tmp/readme-browser.html`);
    await p.waitForFunction(() => document.getElementById('out')?.textContent?.includes('prediction:'), undefined, { timeout: 60_000 });
    const text = (await p.textContent('#out')) ?? '';
    expect(text).toContain('Conv1D layers (canonical config)');
    const values = text.split('prediction: ')[1].trim().split(' ').map(Number);
    const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    expect(compareArrays(values, expected.data as Float32Array, TOLERANCES.close).pass).toBe(true);
    await p.close();
  });

  const demo = () => page.evaluate(() => {
    const s = (window as unknown as { kconvDemo: DemoState }).kconvDemo;
    return { ...s, model: null, assumedBackend: s.model?.inspect().assumedBackend ?? null, runnable: s.model?.inspect().runnable ?? null };
  });
  const settled = (states: string[]) =>
    page.waitForFunction((ss) => ss.includes((window as unknown as { kconvDemo: DemoState }).kconvDemo.status), states);
  async function pickModel(file: string, expectLoaded = true): Promise<void> {
    const before = (await demo()).loads;
    await page.setInputFiles('#model-file', file);
    await page.waitForFunction((n) => {
      const s = (window as unknown as { kconvDemo: DemoState }).kconvDemo;
      return s.loads > n && ['loaded', 'error'].includes(s.status);
    }, before);
    if (expectLoaded) expect(await page.textContent('#load-error')).toBe('');
  }
  async function clickRun(button: '#run-npy' | '#run-random'): Promise<void> {
    await page.click(button);
    await settled(['done', 'error']);
  }
  const shot = async (name: string, p: Page = page) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await p.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
  };

  it("the sample button loads the example with its input, and a run compares with Keras's output (bars, top class named)", async () => {
    const before = (await demo()).loads;
    await page.click('#load-sample');
    await page.waitForFunction((n) => (window as unknown as { kconvDemo: DemoState }).kconvDemo.loads > n && (window as unknown as { kconvDemo: DemoState }).kconvDemo.status === 'loaded', before);
    await page.waitForFunction(() => document.getElementById('inputs-note')?.textContent !== '');
    await clickRun('#run-npy');
    expect(await page.textContent('#run-error')).toBe('');
    const s = await demo();
    expect(s.lastCompare).toHaveLength(1);
    expect(s.lastCompare![0].pass).toBe(true);
    expect(await page.textContent('#compare')).toMatch(/^activation: MATCH \(max abs error [\d.e-]+, max rel error [\d.e-]+, tolerance 'close'\)$/);
    // A classifier output [batch, classes] is drawn as bars, and the top class is Keras's argmax.
    const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
    const row = Array.from((expected.data as Float32Array).subarray(0, expected.shape[1]));
    const argmax = row.indexOf(Math.max(...row));
    expect(s.lastCharts).toEqual([{ kind: 'bars', topClass: argmax }]);
    expect(await page.textContent('.top-class')).toBe(`top class: ${argmax} (${row[argmax].toPrecision(4)})`);
    await shot('demo-sample-bars.png');
  });

  it("comparing with an uploaded expected .npy reports MISMATCH with the numbers when it is another model's output", async () => {
    await pickModel(join(EXAMPLE, 'model.h5'));
    await page.setInputFiles('#npy-files', join(EXAMPLE, 'input.npy'));
    await page.setInputFiles('#expected-files', join(EXAMPLE, 'expected.npy'));
    await clickRun('#run-npy');
    expect((await demo()).lastCompare![0].pass).toBe(true);
    // same shape, other numbers: the output of the example for a random input
    const other = mkdtempSync(join(tmpdir(), 'kconv-demo-'));
    const m = await loadFile(join(EXAMPLE, 'model.h5'));
    const x = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'input.npy'))));
    const [y] = await m.predict({ shape: x.shape, data: (x.data as Float32Array).map((v) => v * 3 + 1) });
    const { writeNpy } = await import('../../src/formats/npy.js');
    writeFileSync(join(other, 'other.npy'), writeNpy(y));
    await page.setInputFiles('#expected-files', join(other, 'other.npy'));
    await clickRun('#run-npy');
    const c = (await demo()).lastCompare![0];
    expect(c.pass).toBe(false);
    expect(c.text).toMatch(/^activation: MISMATCH \(max abs error [\d.e-]+, max rel error [\d.e-]+, tolerance 'close'\)/);
  });

  it('a new model forgets the previous one: charts, outputs, picked inputs and architecture; re-picking a file reloads it', async () => {
    // a weights-only file with its architecture, run on its input and compared with Keras
    const weightsOnly = join(FIXTURES, 'cases', 'tf2.15', 'model-embedding--h5-weights');
    await page.setInputFiles('#arch-file', join(weightsOnly, 'model.json'));
    await pickModel(join(weightsOnly, 'weights.h5'));
    await page.setInputFiles('#npy-files', join(weightsOnly, 'input.npy'));
    await page.setInputFiles('#expected-files', join(weightsOnly, 'expected.npy'));
    await clickRun('#run-npy');
    expect((await demo()).lastCompare![0].pass).toBe(true);
    expect(await page.locator('#charts canvas').count()).toBe(1);
    // the next model is a full model: the architecture of the previous one must not go with it
    await pickModel(join(FIXTURES, 'cases', 'tf2.15', 'model-tcn--h5', 'model.h5'));
    const s = await demo();
    expect(s.lastOutputs).toBeNull();
    expect(s.lastCompare).toBeNull();
    expect(await page.locator('#charts canvas').count()).toBe(0);
    expect(await page.isHidden('#output-values')).toBe(true);
    expect(await page.textContent('#compare')).toBe('');
    for (const id of ['#npy-files', '#expected-files', '#arch-file', '#model-file']) {
      expect(await page.$eval(id, (el) => (el as HTMLInputElement).files?.length ?? 0), id).toBe(0);
    }
    // picking the very same file again reloads it
    const loads = (await demo()).loads;
    await pickModel(join(FIXTURES, 'cases', 'tf2.15', 'model-tcn--h5', 'model.h5'));
    expect((await demo()).loads).toBe(loads + 1);
  });

  it('an Embedding model (Keras 2) runs on random input: integers inside the vocabulary', async () => {
    await pickModel(join(FIXTURES, 'cases', 'tf2.15', 'model-embedding--h5', 'model.h5'));
    await clickRun('#run-random');
    expect(await page.textContent('#run-error')).toBe('');
    const [input] = (await demo()).lastInputs!;
    expect(input.dtype).toBe('int32');
    expect(input.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 49)).toBe(true);
    expect(new Set(input.data).size).toBeGreaterThan(5);
  });

  it('converts in the page and downloads a file that real Keras numbers hold for', async () => {
    await pickModel(join(EXAMPLE, 'model.h5'));
    for (const format of ['keras-v3', 'kir'] as const) {
      await page.selectOption('#convert-format', format);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#convert')]);
      expect(download.suggestedFilename()).toBe(format === 'kir' ? 'model.kir' : 'model.keras');
      const path = join(mkdtempSync(join(tmpdir(), 'kconv-dl-')), download.suggestedFilename());
      await download.saveAs(path);
      const m = await loadFile(path);
      const [y] = await m.predict(readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'input.npy')))));
      const expected = readNpy(new Uint8Array(readFileSync(join(EXAMPLE, 'expected.npy'))));
      expect(compareArrays(y.data, expected.data as Float32Array, TOLERANCES.close).pass).toBe(true);
    }
    expect(await page.textContent('#convert-status')).toMatch(/^Wrote model\.kir \(\d+ bytes\)/);
    // weights come with their architecture, and the page says which Keras versions load them
    await page.selectOption('#convert-format', 'keras-v3-weights');
    const downloads: string[] = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    await page.click('#convert');
    await page.waitForFunction(() => ((window as unknown as { kconvDemo: { lastConversion?: { files?: string[] } } }).kconvDemo.lastConversion?.files ?? []).length === 2);
    await page.waitForTimeout(500);
    expect(downloads.sort()).toEqual(['model.json', 'model.weights.h5']);
    expect(await page.textContent('#convert-status')).toMatch(/^Wrote model\.weights\.h5 \(\d+ bytes\) and model\.json \(\d+ bytes\), which loads in Keras 3\.0 to 3\.15\./);
  });

  it.runIf(corpusAvailable())('a Keras 1 file: the page says TensorFlow was assumed, and the backend selector reloads it as Theano', async () => {
    const file = join(CORPUS, 'wild', 'dl4j-keras1.2.2-tf-vs-theano', 'embedding_conv1d_theano_1.h5');
    await page.selectOption('#backend', '');
    await pickModel(file);
    expect(await page.textContent('#warnings')).toContain('does not record its backend (Keras 1): TensorFlow was assumed');
    expect((await demo()).assumedBackend).toBe('tensorflow');
    await clickRun('#run-random');
    const asTf = (await demo()).lastOutputs![0].data;
    const loads = (await demo()).loads;
    await page.selectOption('#backend', 'theano');
    await page.waitForFunction((n) => (window as unknown as { kconvDemo: DemoState }).kconvDemo.loads > n && (window as unknown as { kconvDemo: DemoState }).kconvDemo.status === 'loaded', loads);
    expect((await demo()).assumedBackend).toBe('theano');
    expect(await page.textContent('#warnings')).toBe('');
    await clickRun('#run-random');
    expect((await demo()).lastOutputs![0].data).not.toEqual(asTf); // the flipped kernels change every output
    await shot('demo-keras1-backend.png');
    await page.selectOption('#backend', '');
  });

  it.runIf(corpusAvailable())('a model kconv cannot run: run buttons disabled, the layers named, converting still offered', async () => {
    await pickModel(join(CORPUS, 'wild', 'kapre-tfkeras-2.9-custom', 'conv1d.h5'));
    expect((await demo()).runnable).toBe(false);
    expect(await page.isDisabled('#run-random')).toBe(true);
    expect(await page.isDisabled('#run-npy')).toBe(true);
    expect(await page.isDisabled('#convert')).toBe(false);
    expect(await page.textContent('#run-note')).toMatch(/^This model cannot run in kconv: stft \(STFT\), /);
  });

  it('fits a 400 px wide screen without horizontal scrolling (screenshot)', async () => {
    const narrow = await context.newPage();
    narrow.on('pageerror', (e) => pageErrors.push(String(e)));
    await narrow.setViewportSize({ width: 400, height: 900 });
    await narrow.goto(`${server.url}/demo/`);
    await narrow.waitForFunction(() => (window as unknown as { kconvDemo?: DemoState }).kconvDemo?.status === 'ready');
    await narrow.click('#load-sample');
    await narrow.waitForFunction(() => (window as unknown as { kconvDemo: DemoState }).kconvDemo.status === 'loaded');
    await narrow.waitForFunction(() => document.getElementById('inputs-note')?.textContent !== '');
    await narrow.click('#run-npy');
    await narrow.waitForFunction(() => (window as unknown as { kconvDemo: DemoState }).kconvDemo.status === 'done');
    const widths = await narrow.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(widths.client).toBeLessThanOrEqual(400);
    await shot('demo-400px.png', narrow);
    await narrow.close();
  });

  it('/ redirects to the demo page', async () => {
    const p = await context.newPage();
    await p.goto(`${server.url}/`);
    expect(p.url()).toBe(`${server.url}/demo/`);
    expect(await p.title()).toContain('kconv demo');
    await p.close();
  });

  it('made no request outside the local server and raised no page error', () => {
    expect(offsiteRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
