/**
 * Shared by the round-trip tiers: the golden source models, the (target, format) writers, reading
 * a written file back with kconv's own readers, and comparing two graphs (attributes + weights).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../src/formats/npy.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { tensorsIdentical, type Tensor } from '../../src/tensor.js';
import { loadWeightsInto, readKerasH5 } from '../../src/keras/read/h5.js';
import { readKerasArchive, readKerasWeightsH5 } from '../../src/keras/read/v3-archive.js';
import { checkpointGraph } from '../../src/tf/checkpoint.js';
import { resolveCheckpoint } from '../../src/node/checkpoint-files.js';
import { readKir } from '../../src/ir/kir.js';
import { emitModel } from '../../src/keras/emit/model.js';
import type { SaveFormat } from '../../src/keras/write/save.js';
import { parseTarget, type Target } from '../../src/keras/targets.js';
import { FIXTURES, ROOT } from '../helpers/paths.js';
import { KNOWN_UNSUPPORTED } from '../helpers/cases.js';

export interface SourceCase {
  id: string;
  env: string;
  format: string;
  dir: string;
  modelFile: string;
  inputs: string[];
  /**
   * What real Keras computed: expected*.npy, or reloaded*.npy for a file whose writer recorded
   * another model than the one it saved (the file's own meaning; see test/helpers/cases.ts).
   */
  expected: string[];
  tolerance: string;
  /** TF1 checkpoints: the input placeholder (a training graph also has a labels placeholder). */
  inputNode?: string;
}

/** One writer output: a target, a format, and the fixture env whose real Keras loads it (null: none). */
export interface WriteTarget {
  target: Target;
  format: SaveFormat;
  env: string | null;
}

export const WRITE_TARGETS: WriteTarget[] = [
  // standalone Keras 2.2.4 files are loaded by standalone Keras 2.3.1 (the last 2.x, which reads them)
  { target: parseTarget('keras-2.2.4'), format: 'keras-h5', env: 'keras2.3' },
  // tf.keras 2.2.4-tf, the Keras of TF 1.13 to 2.0
  { target: parseTarget('tf-keras-2.2'), format: 'keras-h5', env: 'tf2.0' },
  { target: parseTarget('keras-3'), format: 'kir', env: null },
  { target: parseTarget('tf-keras-2.13'), format: 'keras-h5', env: 'tf2.13' },
  { target: parseTarget('tf-keras-2.13'), format: 'keras-h5-weights', env: 'tf2.13' },
  { target: parseTarget('tf-keras-2.15'), format: 'keras-h5', env: 'tf2.15' },
  { target: parseTarget('tf-keras-2.15'), format: 'keras-h5-weights', env: 'tf2.15' },
  { target: parseTarget('tf_keras'), format: 'keras-h5', env: 'tfkeras' },
  { target: parseTarget('tf_keras'), format: 'keras-h5-weights', env: 'tfkeras' },
  { target: parseTarget('keras-3.0'), format: 'keras-v3', env: 'keras3.0' },
  { target: parseTarget('keras-3.0'), format: 'keras-h5', env: 'keras3.0' },
  { target: parseTarget('keras-3.0'), format: 'keras-v3-weights', env: 'keras3.0' },
  { target: parseTarget('keras-3.2'), format: 'keras-v3', env: 'keras3.2' },
  { target: parseTarget('keras-3'), format: 'keras-v3', env: 'keras3' },
  { target: parseTarget('keras-3'), format: 'keras-v3-weights', env: 'keras3' },
  { target: parseTarget('keras-3'), format: 'keras-h5', env: 'keras3' },
  { target: parseTarget('keras-3'), format: 'keras-h5-weights', env: 'keras3' },
];

/** The Keras backend an environment runs: `# keras-backend: X` in its requirements file, else TensorFlow. */
export function kerasBackendOf(env: string): string {
  const text = readFileSync(join(ROOT, 'fixtures', 'generate', 'requirements', `${env}.txt`), 'utf8');
  return /^# keras-backend: (\w+)/m.exec(text)?.[1] ?? 'tensorflow';
}

/** The venv of a fixture environment (fixtures/generate/venv.sh creates it when missing, which can take minutes). */
export function venvFor(env: string): string {
  const script = join(ROOT, 'fixtures', 'generate', 'venv.sh');
  try {
    return execFileSync('bash', [script, env], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000 }).trim();
  } catch (e) {
    throw new Error(`the '${env}' venv is missing and could not be created with ${script}: ${(e as Error).message}`);
  }
}

/** Where golden cases live: the repo's fixtures, or (for development only) KCONV_CASES_DIR. */
function casesRoot(): string | null {
  const dev = process.env.KCONV_CASES_DIR;
  if (dev && existsSync(dev)) return dev;
  if (existsSync(join(FIXTURES, 'cases'))) return join(FIXTURES, 'cases');
  if (process.env.CI === 'true') throw new Error(`CI=true but fixtures/cases is missing: round-trip tests need the golden cases`);
  return null;
}

/** Golden case formats that hold a whole model (architecture + weights) kconv reads. */
export const SOURCE_FORMATS = ['h5', 'keras', 'keras2-keras', 'tf1-ckpt'];

/** Full-model golden cases. */
export function sourceCases(formats: string[] = SOURCE_FORMATS): SourceCase[] {
  const root = casesRoot();
  if (!root) return [];
  const out: SourceCase[] = [];
  for (const env of readdirSync(root).sort()) {
    for (const id of readdirSync(join(root, env)).sort()) {
      const dir = join(root, env, id);
      const caseFile = join(dir, 'case.json');
      if (!existsSync(caseFile)) continue;
      const json = JSON.parse(readFileSync(caseFile, 'utf8'));
      if (!formats.includes(json.format) || json.expectError || !json.files?.model) continue;
      if (KNOWN_UNSUPPORTED[`${env}/${id}`]) continue; // kconv refuses to read it (asserted by the golden tier)
      if (process.env.KCONV_CASE_FILTER && !new RegExp(process.env.KCONV_CASE_FILTER).test(`${env}/${id}`)) continue;
      out.push({
        id: `${env}/${id}`, env, format: json.format, dir, modelFile: join(dir, json.files.model),
        inputs: json.files.inputs.map((f: string) => join(dir, f)),
        expected: (json.files.reloaded ?? json.files.expected).map((f: string) => join(dir, f)),
        tolerance: json.tolerance ?? 'close',
        ...(json.tf1?.inputTensor ? { inputNode: String(json.tf1.inputTensor).split(':')[0] } : {}),
      });
    }
  }
  return out;
}

export async function readSource(c: SourceCase): Promise<Graph> {
  if (c.format === 'tf1-ckpt') return checkpointGraph(resolveCheckpoint(c.modelFile), c.inputNode ? { inputNode: c.inputNode } : {});
  const bytes = new Uint8Array(readFileSync(c.modelFile));
  if (c.format === 'h5') return readKerasH5(bytes, { filename: c.modelFile });
  return readKerasArchive(bytes, { filename: c.modelFile });
}

/**
 * The source graph read as a user would: Keras 1 files do not record their backend, so the one
 * that wrote them (case.json `versions.backend`) is given, as with --backend.
 */
export async function readSourceAsUser(c: SourceCase): Promise<Graph> {
  const backend = JSON.parse(readFileSync(join(c.dir, 'case.json'), 'utf8')).versions?.backend;
  if (c.format === 'h5' && (backend === 'theano' || backend === 'tensorflow')) {
    return readKerasH5(new Uint8Array(readFileSync(c.modelFile)), { filename: c.modelFile, backend });
  }
  return readSource(c);
}

export function readNpyFile(path: string): Tensor {
  return readNpy(new Uint8Array(readFileSync(path)), path);
}

/** The architecture JSON a weights-only file is loaded with (what that Keras's to_json gives). */
export function architectureFor(graph: Graph, wt: WriteTarget): string {
  const style = wt.target.family === 'keras3' ? 'saving_lib' : 'legacy';
  return JSON.stringify(emitModel(graph, wt.target, style).config);
}

/** Reads a file kconv wrote back with kconv's readers; null when no reader exists for the format yet. */
export async function readBack(bytes: Uint8Array, wt: WriteTarget, original: Graph): Promise<Graph | null> {
  if (wt.format === 'keras-h5') return readKerasH5(bytes, { filename: 'written.h5' });
  if (wt.format === 'keras-h5-weights') return loadWeightsInto(architectureFor(original, wt), bytes, { filename: 'written.h5' });
  if (wt.format === 'keras-v3') return readKerasArchive(bytes, { filename: 'written.keras' });
  // a .weights.h5 + to_json() pair records no Keras version: say which Keras it was written for
  if (wt.format === 'keras-v3-weights') return readKerasWeightsH5(bytes, architectureFor(original, wt), { filename: 'written.weights.h5', kerasVersion: wt.target.version.join('.') });
  if (wt.format === 'kir') return readKir(bytes);
  return null;
}

function nodeKey(n: Node): string {
  return n.name;
}

/** Differences between two graphs: ops, attributes, and every weight bit for bit. Empty = equal. */
export function graphDiff(a: Graph, b: Graph): string[] {
  const diffs: string[] = [];
  const bNodes = new Map(b.nodes.map((n) => [nodeKey(n), n]));
  const aNonInput = a.nodes.filter((n) => n.op !== 'Input');
  const bNonInput = b.nodes.filter((n) => n.op !== 'Input');
  if (aNonInput.length !== bNonInput.length) diffs.push(`node count ${aNonInput.length} vs ${bNonInput.length}`);
  if (a.inputs.length !== b.inputs.length) diffs.push(`input count ${a.inputs.length} vs ${b.inputs.length}`);
  if (a.outputs.length !== b.outputs.length) diffs.push(`output count ${a.outputs.length} vs ${b.outputs.length}`);
  const aInputs = a.nodes.filter((n) => n.op === 'Input');
  const bInputs = b.nodes.filter((n) => n.op === 'Input');
  aInputs.forEach((n, i) => {
    const m = bInputs[i];
    if (!m || JSON.stringify(n.attrs) !== JSON.stringify(m.attrs)) diffs.push(`input ${i}: ${JSON.stringify(n.attrs)} vs ${JSON.stringify(m?.attrs)}`);
  });
  for (const n of aNonInput) {
    const m = bNodes.get(nodeKey(n));
    if (!m) {
      diffs.push(`node '${n.name}' missing after the round trip`);
      continue;
    }
    if (n.op !== m.op) diffs.push(`node '${n.name}': op ${n.op} vs ${m.op}`);
    else if (JSON.stringify(n.attrs) !== JSON.stringify(m.attrs)) diffs.push(`node '${n.name}': attrs ${JSON.stringify(n.attrs)} vs ${JSON.stringify(m.attrs)}`);
    for (const [role, key] of Object.entries(n.weights)) {
      const ta = a.weights.get(key);
      const mk = m.weights[role];
      const tb = mk === undefined ? undefined : b.weights.get(mk);
      if (!ta || !tb) diffs.push(`node '${n.name}': weight '${role}' missing`);
      else if (!tensorsIdentical(ta, tb)) diffs.push(`node '${n.name}': weight '${role}' differs`);
    }
    if (Object.keys(m.weights).length !== Object.keys(n.weights).length) diffs.push(`node '${n.name}': weight roles ${Object.keys(n.weights)} vs ${Object.keys(m.weights)}`);
    const ta = n.keras?.config?.trainable;
    const tb = m.keras?.config?.trainable;
    if ((ta === false) !== (tb === false)) diffs.push(`node '${n.name}': trainable ${ta} vs ${tb}`);
  }
  return diffs;
}

/** Paths where two JSON values differ (at most `limit`). */
export function jsonDiff(a: unknown, b: unknown, path = '', out: string[] = [], limit = 5): string[] {
  if (out.length >= limit) return out;
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) jsonDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`, out, limit);
    return out;
  }
  out.push(`${path}: ${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`);
  return out;
}

/**
 * The committed round-trip matrix: for every golden source model and every (target, format) writer,
 * whether kconv writes it or refuses it (NOT_REPRESENTABLE, with its message). The write-read tier
 * asserts it exactly over all sources (a writer that starts refusing more, or writing what it
 * refused, fails); the Keras tier asserts the same outcome for every pair it tries and that every
 * written file loads in real Keras and matches. Regenerate after an intended change with
 * `KCONV_UPDATE_MATRIX=1 npx vitest run test/roundtrip/write-read.test.ts` and review the diff.
 */
export const MATRIX_FILE = join(ROOT, 'test', 'roundtrip', 'expected-matrix.md');

export const targetKey = (wt: WriteTarget) => `${wt.target.id} ${wt.format}`;

/** 'written', or 'refused: <message>'. */
export type Outcome = string;

/** `<source id> → <target> <format>` → outcome, as committed: the refusals (every other pair is written). */
export function readMatrix(): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  if (!existsSync(MATRIX_FILE)) return out;
  for (const line of readFileSync(MATRIX_FILE, 'utf8').split('\n')) {
    const m = /^- (.+?) ⇒ (.+)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** The outcome of one writer on one source: written, or its NOT_REPRESENTABLE message on one line. */
export function refusedOutcome(message: string): Outcome {
  return `refused: ${message.replace(/\s+/g, ' ').trim()}`;
}

/** The matrix file for a full set of outcomes: a count table, then one line per source × writer. */
export function matrixText(outcomes: Map<string, Outcome>): string {
  const cells = new Map<string, { written: number; refused: number }>();
  const cols = WRITE_TARGETS.map(targetKey);
  for (const [pair, outcome] of outcomes) {
    const [id, target] = pair.split(' → ');
    const [env, rest] = id.split('/');
    const format = rest.includes('--') ? rest.split('--').pop() : 'tf1-ckpt';
    const k = `${env} ${format} → ${target}`;
    const cell = cells.get(k) ?? { written: 0, refused: 0 };
    cells.set(k, cell);
    if (outcome === 'written') cell.written++;
    else cell.refused++;
  }
  const rows = [...new Set([...cells.keys()].map((k) => k.split(' → ')[0]))].sort();
  const lines = [
    '# Round-trip matrix: golden source × (target, format)',
    '',
    'Generated by `KCONV_UPDATE_MATRIX=1 npx vitest run test/roundtrip/write-read.test.ts`; asserted exactly by',
    'test/roundtrip/write-read.test.ts (every file written reads back to the same IR) and, for the pairs it runs,',
    'by test/roundtrip/keras-loads.test.ts (every file written loads in the real Keras of its target and',
    'matches Keras\'s output; targets without an environment are marked ¹). Cells: written / refused',
    '(NOT_REPRESENTABLE). Every source × writer pair not listed under Refusals is written.',
    '',
    `| source \\ target | ${cols.map((c, i) => `${c}${WRITE_TARGETS[i].env ? '' : ' ¹'}`).join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r} | ${cols.map((c) => { const x = cells.get(`${r} → ${c}`); return x ? `${x.written} / ${x.refused}` : '–'; }).join(' | ')} |`),
    '',
    '## Refusals',
    '',
    ...[...outcomes.entries()].filter(([, o]) => o !== 'written').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([pair, o]) => `- ${pair} ⇒ ${o}`),
    '',
  ];
  return lines.join('\n');
}

export function writeMatrix(outcomes: Map<string, Outcome>): void {
  writeFileSync(MATRIX_FILE, matrixText(outcomes));
}
