/**
 * Only the whole-model rows of the benchmark (src/bench/model.ts, and the same models in headless
 * Chromium: src/bench/browser.ts), several rounds, with the load average, so a change that moves
 * a whole model can be measured without the Conv1D rows' minutes:
 *
 *   npx tsx test/bench/models.ts [rounds] [budgetSeconds] [--no-browser]
 *
 * Prints per round and model the load average before it, each runtime's median and its ratio
 * tfjs-wasm / runtime measured in that same round (load from the other users of the machine
 * moves whole rounds, so only same-round ratios mean anything). Not part of `npm test`.
 */
import { loadavg } from 'node:os';
import { benchBrowser } from '../../src/bench/browser.js';
import { benchModel, defaultModelCases } from '../../src/bench/model.js';
import { defaultThreadPool } from '../../src/runtime/threads/index.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rounds = Number(args[0] ?? 1);
const budget = Number(args[1] ?? 3);
const browser = !process.argv.includes('--no-browser');
const cases = defaultModelCases();
const la = () => loadavg().map((x) => x.toFixed(2)).join(' / ');
const ms = (x: number) => (x < 0.1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(x < 10 ? 3 : 1)} ms`);
const table = (title: string, load: string, rows: { runtime: string; medianMs: number }[]) => {
  const peer = rows.find((x) => x.runtime === 'tfjs-wasm');
  console.log(`\n${title} (load ${load} before):\n\n| runtime | median | tfjs-wasm / this |\n|---|---:|---:|`);
  for (const x of rows) console.log(`| ${x.runtime} | ${ms(x.medianMs)} | ${peer ? `${(peer.medianMs / x.medianMs).toFixed(2)}×` : '—'} |`);
};
try {
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const load = la();
      const rows = await benchModel({ caseDir: c.caseDir, timing: c.timing, budgetSeconds: budget, log: (l) => console.error(l) });
      table(`Round ${r + 1}, Node: ${rows[0]?.model ?? c.caseDir}`, load, rows);
    }
    if (browser) {
      const load = la();
      const page = await benchBrowser({ cases, budgetSeconds: budget, log: (l) => console.error(l) });
      for (const m of page?.models ?? []) table(`Round ${r + 1}, Chromium (${page!.env.kconvKernel}, tfjs ${page!.env.tfjsBackend}): ${m.model}`, load, m.results);
    }
  }
  console.log(`\nload after: ${la()}`);
} finally {
  await defaultThreadPool().close();
}
