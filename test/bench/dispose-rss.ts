/**
 * RSS of a load-and-predict loop, with and without model.dispose() (issue 16): without it the
 * WebAssembly memory of every plan stays taken until the garbage collector runs finalizers, so
 * the memory grows; with it every iteration reuses the regions the previous one freed.
 *
 *   npx tsx test/bench/dispose-rss.ts [iterations]     (one fresh process per mode)
 *
 * Model: the Keras 3 TCN fixture (85 KB .keras) on an input of [8, 4096, 3]; peak RSS sampled
 * after every iteration. Not part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../../src/node.js';
import { FIXTURES } from '../helpers/paths.js';

const MODEL = join(FIXTURES, 'cases', 'keras3', 'model-tcn--keras', 'model.keras');

async function measure(mode: 'dispose' | 'no-dispose', iterations: number): Promise<void> {
  const bytes = new Uint8Array(readFileSync(MODEL));
  const x = { dtype: 'float32' as const, shape: [8, 4096, 3], data: new Float32Array(8 * 4096 * 3).fill(0.5) };
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const model = await load(bytes, { filename: 'model.keras' });
    await model.predict(x);
    if (mode === 'dispose') model.dispose();
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const ms = (performance.now() - t0) / iterations;
  process.stdout.write(JSON.stringify({ mode, iterations, baselineMB: baseline / 2 ** 20, peakMB: peak / 2 ** 20, msPerIteration: ms }) + '\n');
}

const me = fileURLToPath(import.meta.url);
if (process.argv[1] === me) {
  const mode = process.argv[2];
  if (mode === 'dispose' || mode === 'no-dispose') {
    await measure(mode, Number(process.argv[3] ?? 100));
  } else {
    const iterations = Number(process.argv[2] ?? 100);
    console.log(`| load + predict loop (TCN fixture, [8, 4096, 3], ${iterations} iterations) | RSS at start | peak RSS | per iteration |`);
    console.log('|---|---:|---:|---:|');
    for (const m of ['no-dispose', 'dispose']) {
      const r = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx/esm', me, m, String(iterations)], { encoding: 'utf8' }));
      console.log(`| ${m === 'dispose' ? 'model.dispose() each iteration' : 'no dispose (GC only)'} | ${r.baselineMB.toFixed(0)} MiB | ${r.peakMB.toFixed(0)} MiB | ${r.msPerIteration.toFixed(1)} ms |`);
    }
  }
}
