/**
 * The TCN whole-model row with residual Adds fused into their Conv1Ds (the default) and with the
 * pass off (`compile(…, {fuseResidual: false})`), interleaved in the same rounds on every kconv
 * WASM path, so the effect of the fusion is a same-run ratio:
 *
 *   npx tsx test/bench/fuse-residual.ts [rounds] [budgetSeconds]
 *
 * Prints per round the load average before it and each contender's median. Every contender is
 * checked against the reference-kernel plan first (checkAndTime). Not part of `npm test`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { load } from '../../src/api/load.js';
import { defaultModelCases } from '../../src/bench/model.js';
import { seededRandom } from '../../src/bench/shapes.js';
import { checkAndTime, type Contender } from '../../src/bench/timing.js';
import { compile } from '../../src/runtime/index.js';
import { conv1dReference } from '../../src/runtime/kernels/conv1d-reference.js';
import type { Conv1DImpl } from '../../src/runtime/kernels/conv1d-types.js';
import { conv1dWasm } from '../../src/runtime/select-conv1d.js';
import { conv1dThreads, defaultThreadPool } from '../../src/runtime/threads/index.js';
import type { Tensor } from '../../src/tensor.js';

const rounds = Number(process.argv[2] ?? 3);
const budget = Number(process.argv[3] ?? 3);
const tcn = defaultModelCases()[0];
const spec = JSON.parse(readFileSync(join(tcn.caseDir, 'case.json'), 'utf8')) as { files: { model: string } };
const model = await load(readFileSync(join(tcn.caseDir, spec.files.model)), { filename: spec.files.model });
const { batch, steps } = tcn.timing;
const rnd = seededRandom(8);
const x: Tensor = { dtype: 'float32', shape: [batch, steps, 3], data: Float32Array.from({ length: batch * steps * 3 }, () => rnd() * 2 - 1) };
const reference = compile(model.graph, [[...x.shape]], { conv1d: conv1dReference as Conv1DImpl<unknown> }).run([x])[0].data as Float32Array;
const contenders: Contender[] = [];
for (const [name, impl] of [['kconv-wasm', conv1dWasm('simd')], ['kconv-threads', conv1dThreads(defaultThreadPool())]] as const) {
  for (const fuseResidual of [false, true]) {
    const plan = compile(model.graph, [[...x.shape]], { conv1d: impl, fuseResidual });
    contenders.push({ runtime: `${name} ${fuseResidual ? 'fused' : 'unfused'}`, run: () => plan.run([x])[0].data as Float32Array });
  }
}
try {
  console.log(`TCN ${tcn.caseDir.split('/').slice(-2).join('/')} [${x.shape.join(', ')}], ${budget} s per round\n`);
  console.log(`| round | load (1/5/15) | ${contenders.map((c) => c.runtime).join(' | ')} | unfused / fused (wasm) | unfused / fused (threads) |`);
  console.log(`|---|---|${contenders.map(() => '---:').join('|')}|---:|---:|`);
  for (let r = 0; r < rounds; r++) {
    const load = loadavg().map((v) => v.toFixed(2)).join(' / ');
    const t = await checkAndTime('fuse-residual', contenders, reference, budget * 1000, (l) => console.error(l));
    const ms = (name: string) => t.find((v) => v.runtime === name)!.medianMs;
    console.log(`| ${r + 1} | ${load} | ${t.map((v) => `${v.medianMs.toFixed(3)} ms`).join(' | ')} | ${(ms('kconv-wasm unfused') / ms('kconv-wasm fused')).toFixed(2)}× | ${(ms('kconv-threads unfused') / ms('kconv-threads fused')).toFixed(2)}× |`);
  }
  console.log(`\nload after: ${loadavg().map((v) => v.toFixed(2)).join(' / ')}`);
} finally {
  await defaultThreadPool().close();
}
