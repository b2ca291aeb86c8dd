/**
 * Only the LSTM row of the benchmark (src/bench/lstm.ts), several rounds, with the load average,
 * so a change to the recurrent kernel can be measured without the Conv1D rows' minutes:
 *
 *   npx tsx test/bench/lstm.ts [rounds] [budgetSeconds]
 *
 * Prints a Markdown table: per round the load average before it, each runtime's median, and
 * kconv's ratios to tfjs-wasm and ort-2t measured in that same round (load from the other users
 * of the machine moves whole rounds, so only same-round ratios mean anything).
 * Not part of `npm test`.
 */
import { loadavg } from 'node:os';
import { benchLstm } from '../../src/bench/lstm.js';

const rounds = Number(process.argv[2] ?? 3);
const budget = Number(process.argv[3] ?? 3);
let header = false;
for (let r = 0; r < rounds; r++) {
  const load = loadavg().map((x) => x.toFixed(2)).join(' / ');
  const rows = await benchLstm({ budgetSeconds: budget, log: (l) => console.error(l) });
  const ms = (name: string) => rows.find((x) => x.runtime === name)?.medianMs;
  const ratio = (peer: string) => (ms(peer) && ms('kconv') ? `${(ms(peer)! / ms('kconv')!).toFixed(2)}×` : '—');
  if (!header) {
    console.log(`| round | load (1/5/15) | ${rows.map((x) => x.runtime).join(' | ')} | tfjs-wasm / kconv | ort-2t / kconv |`);
    console.log(`|---|---|${rows.map(() => '---:').join('|')}|---:|---:|`);
    header = true;
  }
  console.log(`| ${r + 1} | ${load} | ${rows.map((x) => `${x.medianMs.toFixed(1)} ms`).join(' | ')} | ${ratio('tfjs-wasm')} | ${ratio('ort-2t')} |`);
}
