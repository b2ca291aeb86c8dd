/**
 * Measures how far kconv's outputs are from real Keras's over every golden case, element by
 * element, and prints the distribution the `golden` tolerance (src/verify/tolerance.ts) was chosen
 * from. A measurement, not a test: `npx tsx test/golden/error-distribution.ts [--json out.json]`.
 *
 * For each element: err = |kconv - keras|. Elements with |keras| <= 1 are judged by their absolute
 * error, the others by their relative error err/|keras|; a per-element tolerance
 * `err <= atol + rtol·|keras|` holds for every case when atol >= the worst absolute error and
 * rtol >= the worst relative error.
 */
import { writeFileSync } from 'node:fs';
import { readNpy } from '../../src/formats/npy.js';
import type { Graph } from '../../src/ir/graph.js';
import { toFloat32 } from '../../src/tensor.js';
import { loadWeightsInto, readKerasH5 } from '../../src/keras/read/h5.js';
import { readKerasArchive, readKerasWeightsH5 } from '../../src/keras/read/v3-archive.js';
import { checkpointGraph } from '../../src/tf/checkpoint.js';
import { resolveCheckpoint } from '../../src/node/checkpoint-files.js';
import { runGraph } from '../../src/runtime/index.js';
import { goldenCases, savedByKeras, type GoldenCase } from '../helpers/cases.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

async function load(c: GoldenCase): Promise<Graph> {
  const f = c.json.files;
  // as the golden tiers load them: Keras 1 files with the backend that wrote them, a training
  // graph with its input placeholder named
  const backend = c.json.versions.backend as 'theano' | 'tensorflow' | undefined;
  const filename = `${c.entry.id}/${f.model}`;
  const h5Options = { filename, ...(backend ? { backend } : {}) };
  switch (c.json.format) {
    case 'h5':
      return readKerasH5(c.bytes(f.model!), h5Options);
    case 'h5-weights':
      return loadWeightsInto(c.bytes(f.architecture!), c.bytes(f.model!), h5Options);
    case 'keras':
    case 'keras2-keras':
      return readKerasArchive(c.bytes(f.model!), { filename });
    case 'weights-h5':
      return readKerasWeightsH5(c.bytes(f.model!), c.bytes(f.architecture!), { filename });
    case 'tf2-ckpt':
      return checkpointGraph(resolveCheckpoint(join(c.dir, f.model!)), { architecture: JSON.parse(readFileSync(join(c.dir, f.architecture!), 'utf8')) });
    case 'tf1-ckpt': {
      const tf1 = c.json.tf1 as { inputTensor: string };
      return checkpointGraph(resolveCheckpoint(join(c.dir, f.model!)), { inputNode: tf1.inputTensor.split(':')[0] });
    }
    default:
      throw new Error(`no loader for ${c.json.format}`);
  }
}

interface CaseErrors {
  id: string;
  maxAbsSmall: number;
  maxRelLarge: number;
  elements: number;
}

async function main() {
  const jsonOut = process.argv.indexOf('--json');
  const cases = goldenCases('h5', 'h5-weights', 'keras', 'keras2-keras', 'weights-h5', 'tf1-ckpt', 'tf2-ckpt').filter(
    (c) => savedByKeras(c) && !c.json.expectError && c.json.files.expected.length > 0,
  );
  const absSmall: number[] = [];
  const relLarge: number[] = [];
  const perCase: CaseErrors[] = [];
  const failures: string[] = [];
  for (const c of cases) {
    let outputs;
    try {
      outputs = runGraph(await load(c), c.inputs());
    } catch (e) {
      failures.push(`${c.entry.env}/${c.entry.id}: ${(e as Error).message.slice(0, 160)}`);
      continue;
    }
    const refs = (c.json.files.reloaded ?? c.json.files.expected).map((f) => readNpy(c.bytes(f), f));
    const ce: CaseErrors = { id: `${c.entry.env}/${c.entry.id}`, maxAbsSmall: 0, maxRelLarge: 0, elements: 0 };
    refs.forEach((ref, i) => {
      const a = toFloat32(outputs[i]);
      const e = toFloat32(ref);
      if (a.length !== e.length) {
        failures.push(`${ce.id}: output ${i} has ${a.length} values, Keras ${e.length}`);
        return;
      }
      for (let k = 0; k < e.length; k++) {
        const err = Math.abs(a[k] - e[k]);
        ce.elements++;
        if (Math.abs(e[k]) <= 1) {
          absSmall.push(err);
          ce.maxAbsSmall = Math.max(ce.maxAbsSmall, err);
        } else {
          relLarge.push(err / Math.abs(e[k]));
          ce.maxRelLarge = Math.max(ce.maxRelLarge, err / Math.abs(e[k]));
        }
      }
    });
    perCase.push(ce);
  }
  const q = (xs: number[], p: number) => {
    const s = Float64Array.from(xs).sort();
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0;
  };
  const row = (name: string, xs: number[]) =>
    `${name}: n=${xs.length} median ${q(xs, 0.5).toExponential(2)} p99 ${q(xs, 0.99).toExponential(2)} p99.99 ${q(xs, 0.9999).toExponential(2)} max ${q(xs, 1).toExponential(2)}`;
  const worst = (key: 'maxAbsSmall' | 'maxRelLarge') =>
    [...perCase].sort((a, b) => b[key] - a[key]).slice(0, 5).map((c) => `  ${c.id} ${c[key].toExponential(2)}`).join('\n');
  console.log(`${perCase.length} golden cases run (${failures.length} could not be run)`);
  console.log(row('|err| where |keras| <= 1', absSmall));
  console.log(row('|err|/|keras| where |keras| > 1', relLarge));
  console.log(`worst absolute (|keras| <= 1):\n${worst('maxAbsSmall')}`);
  console.log(`worst relative (|keras| > 1):\n${worst('maxRelLarge')}`);
  if (failures.length) console.log(`not run:\n${failures.map((f) => `  ${f}`).join('\n')}`);
  if (jsonOut > 0) writeFileSync(process.argv[jsonOut + 1], JSON.stringify({ perCase, failures }, null, 1));
}

await main();
