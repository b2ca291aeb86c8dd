/**
 * Only the LSTM row of the benchmark (src/bench/lstm.ts), several rounds, with the load average,
 * so a change to the recurrent kernel can be measured without the Conv1D rows' minutes:
 *
 *   npx tsx test/bench/lstm.ts [rounds] [budgetSeconds]
 *
 * Prints each round's medians and the ratios to tfjs-wasm and ort-2t measured in that round.
 * Not part of `npm test`.
 */
import { loadavg } from 'node:os';
import { benchLstm } from '../../src/bench/lstm.js';

const rounds = Number(process.argv[2] ?? 3);
const budget = Number(process.argv[3] ?? 3);
for (let r = 0; r < rounds; r++) {
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const rows = await benchLstm({ budgetSeconds: budget, log: (l) => console.error(l) });
  const ms = (name: string) => rows.find((x) => x.runtime === name)?.medianMs;
  const line = rows.map((x) => {
    const tf = ms('tfjs-wasm');
    const ort = ms('ort-2t');
    return `${x.runtime} ${x.medianMs.toFixed(1)} ms (${tf ? (tf / x.medianMs).toFixed(2) : '—'}× tfjs-wasm, ${ort ? (ort / x.medianMs).toFixed(2) : '—'}× ort-2t)`;
  });
  console.log(`round ${r + 1} load ${load}: ${line.join('; ')}`);
}
