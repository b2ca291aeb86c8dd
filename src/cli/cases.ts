/**
 * Golden cases on disk, for `kconv verify`: a directory per case holding the model file(s),
 * `input*.npy`, `expected*.npy` (Keras's own outputs) and a `case.json` that names them — the
 * layout of this repo's `fixtures/` and of what `fixtures/generate/export_case.py` writes for a
 * user's own model. A manifest (`fixtures/manifest.json`) lists case directories.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { caseFormat, compareArrays, describeFormat, KconvError, loadFile, readNpyFile, sniffFormat, toFloat32, type Limits, type Tolerance } from '../node.js';
import { parseTolerance } from './context.js';

export interface CaseFiles {
  model?: string;
  architecture?: string;
  inputs: string[];
  /**
   * What real Keras computed: `expected*.npy`, or, for a file whose writer recorded another model
   * than the one it saved (case.json lists `reloaded`), that Keras's outputs after loading the file.
   */
  expected: string[];
}

export interface CaseSpec {
  /** Case id (case.json `id`, else the directory name). */
  id: string;
  dir: string;
  format: string;
  env: string;
  files: CaseFiles;
  /** The case's own tolerance name (`close` unless case.json says otherwise). */
  tolerance: string;
  /** Case documents an error the writing Keras raised; there is no model to check. */
  expectError: boolean;
  /**
   * For a TF1 checkpoint saved without its graph (format `tf1-ckpt-nometa`): the layer
   * description kconv needs, rebuilt from what case.json's `tf1` record says was built.
   */
  tf1Layers?: object;
  /** The backend that wrote the case (case.json `versions.backend`), for files that do not record it (Keras 1). */
  backend?: 'tensorflow' | 'theano';
  /** TF1 checkpoints: the input placeholder (case.json `tf1.inputTensor`). */
  inputNode?: string;
}

interface Tf1Record {
  inputShape: (number | null)[];
  variableScope?: string;
  layers: { op: string; kwargs: Record<string, unknown> }[];
}

/** case.json's `tf1` record (the tf.layers calls that built the checkpoint) as a kconv TF1 layer description. */
function tf1Spec(record: unknown): object | undefined {
  const r = record as Tf1Record | undefined;
  if (!r || !Array.isArray(r.inputShape) || !Array.isArray(r.layers)) return undefined;
  return {
    input: r.inputShape,
    ...(r.variableScope ? { scope: r.variableScope } : {}),
    layers: r.layers.map((l) => ({ type: String(l.op).split('.').pop(), ...l.kwargs })),
  };
}

export type CaseStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface OutputCheck {
  index: number;
  name: string;
  pass: boolean;
  maxAbsError: number;
  maxRelError: number;
  message?: string;
}

export interface CaseResult {
  id: string;
  dir: string;
  format: string;
  env: string;
  status: CaseStatus;
  tolerance: string;
  /** Worst over the case's outputs (null when nothing was compared). */
  maxAbsError: number | null;
  maxRelError: number | null;
  outputs: OutputCheck[];
  /** Why it failed, errored or was skipped. */
  message?: string;
  /** KconvError code when status is `error`. */
  code?: string;
}

function readJson(path: string): Record<string, unknown> {
  const bytes = readFileSync(path);
  const format = sniffFormat(new Uint8Array(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64)));
  if (format !== 'json' && format !== 'unknown') {
    // Never echo a binary file: say what it is and what verify wanted.
    throw new KconvError('USAGE', `'${path}' is ${describeFormat(format)}, not a case directory or a manifest (.json); to check one model against an expected output: kconv run MODEL --input X.npy --expected Y.npy`);
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    const why = (e as Error).message.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);
    throw new KconvError('BAD_CONFIG', `'${path}' is not valid JSON: ${why}`, { file: path });
  }
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Reads one case directory's case.json. */
export function readCase(dir: string): CaseSpec {
  const json = readJson(join(dir, 'case.json'));
  const files = (json.files ?? {}) as Record<string, unknown>;
  return {
    id: typeof json.id === 'string' ? json.id : basename(dir),
    dir,
    // In the one vocabulary (src/model-formats.ts): the fixture generators' short names are translated.
    format: typeof json.format === 'string' ? caseFormat(json.format) : '?',
    env: typeof json.env === 'string' ? json.env : '',
    files: {
      model: typeof files.model === 'string' ? files.model : undefined,
      architecture: typeof files.architecture === 'string' ? files.architecture : undefined,
      inputs: stringList(files.inputs),
      // A faithful reader reproduces what Keras computes from the file as written.
      expected: stringList(files.reloaded).length > 0 ? stringList(files.reloaded) : stringList(files.expected),
    },
    tolerance: typeof json.tolerance === 'string' ? json.tolerance : 'close',
    expectError: json.expectError === true,
    // The one thing the short name says that the format name does not: the checkpoint has no graph.
    tf1Layers: json.format === 'tf1-ckpt-nometa' ? tf1Spec(json.tf1) : undefined,
    ...caseBackend(json.versions),
    ...(json.format === 'tf1-ckpt' && isRecord(json.tf1) && typeof json.tf1.inputTensor === 'string' ? { inputNode: json.tf1.inputTensor.split(':')[0] } : {}),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function caseBackend(versions: unknown): { backend?: 'tensorflow' | 'theano' } {
  const b = isRecord(versions) ? versions.backend : undefined;
  return b === 'theano' || b === 'tensorflow' ? { backend: b } : {};
}

/**
 * The cases at `path`: a case directory, a directory containing case directories at any depth,
 * or a manifest JSON (`{cases: [{dir}]}`, dirs relative to the manifest's directory).
 */
export function findCases(path: string): CaseSpec[] {
  if (!existsSync(path)) throw new KconvError('IO_ERROR', `cannot read '${path}': no such file or directory`);
  if (statSync(path).isFile()) {
    const manifest = readJson(path);
    if (!Array.isArray(manifest.cases)) {
      throw new KconvError('BAD_CONFIG', `'${path}' is not a manifest: expected {"cases": [{"dir": ...}, ...]}`, { file: path, where: 'cases' });
    }
    const root = dirname(path);
    return manifest.cases.map((entry: unknown, i: number) => {
      const dir = (entry as { dir?: unknown })?.dir;
      if (typeof dir !== 'string') throw new KconvError('BAD_CONFIG', `manifest entry ${i} has no "dir"`, { file: path, where: `cases[${i}].dir` });
      return readCase(resolve(root, dir));
    });
  }
  const found: CaseSpec[] = [];
  const walk = (d: string) => {
    if (existsSync(join(d, 'case.json'))) {
      found.push(readCase(d));
      return;
    }
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(join(d, e.name));
    }
  };
  walk(path);
  if (found.length === 0) {
    throw new KconvError('USAGE', `no golden cases under '${path}': expected directories with a case.json (see 'kconv verify --help')`);
  }
  return found;
}

export interface VerifyOptions {
  /** Overrides each case's own tolerance. */
  tolerance?: string;
  backend?: 'tensorflow' | 'theano';
  /** Load limits (`--max-memory`). */
  limits?: Partial<Limits>;
}

/** Loads a case's model, runs it on its inputs and compares with its expected outputs. */
export async function runCase(spec: CaseSpec, options: VerifyOptions = {}): Promise<CaseResult> {
  const tolName = options.tolerance ?? spec.tolerance;
  const base: CaseResult = {
    id: spec.id,
    dir: spec.dir,
    format: spec.format,
    env: spec.env,
    status: 'pass',
    tolerance: tolName,
    maxAbsError: null,
    maxRelError: null,
    outputs: [],
  };
  if (!spec.files.model) {
    return { ...base, status: 'skip', message: spec.expectError ? 'documents an error raised by Keras itself; no model to check' : 'case.json names no model file' };
  }
  if (spec.expectError && spec.files.expected.length === 0) {
    // e.g. a channels_first TF 1.13 graph: TensorFlow could not run it on CPU, so there is nothing to compare
    return { ...base, status: 'skip', message: 'documents an error raised by Keras itself (it could not run the model); no expected output to compare' };
  }
  const tol: Tolerance = parseTolerance(tolName);
  return checkCase(spec, base, tol, options);
}

async function checkCase(spec: CaseSpec, base: CaseResult, tol: Tolerance, options: VerifyOptions): Promise<CaseResult> {
  try {
    const backend = options.backend ?? spec.backend;
    const model = await loadFile(join(spec.dir, spec.files.model!), {
      ...(backend ? { backend } : {}),
      ...(spec.inputNode ? { inputNode: spec.inputNode } : {}),
      limits: options.limits,
      architecture: spec.files.architecture ? join(spec.dir, spec.files.architecture) : spec.tf1Layers,
    });
    const inputs = spec.files.inputs.map((f) => readNpyFile(join(spec.dir, f)));
    const expected = spec.files.expected.map((f) => readNpyFile(join(spec.dir, f)));
    const outputs = await model.predict(inputs);
    if (outputs.length !== expected.length) {
      return { ...base, status: 'fail', message: `the model has ${outputs.length} output(s), the case expects ${expected.length}` };
    }
    let maxAbs = 0;
    let maxRel = 0;
    const checks: OutputCheck[] = outputs.map((out, i) => {
      const exp = expected[i];
      const name = model.outputNames[i] ?? String(i);
      const sameShape = out.shape.length === exp.shape.length && out.shape.every((d, k) => d === exp.shape[k]);
      if (!sameShape) {
        return { index: i, name, pass: false, maxAbsError: Infinity, maxRelError: Infinity, message: `output ${name}: shape [${out.shape.join(', ')}], expected [${exp.shape.join(', ')}]` };
      }
      const c = compareArrays(toFloat32(out), toFloat32(exp), tol, out.shape);
      return { index: i, name, pass: c.pass, maxAbsError: c.maxAbsError, maxRelError: c.maxRelError, ...(c.message ? { message: `output ${name}: ${c.message}` } : {}) };
    });
    for (const c of checks) {
      maxAbs = Math.max(maxAbs, c.maxAbsError);
      maxRel = Math.max(maxRel, c.maxRelError);
    }
    const failed = checks.find((c) => !c.pass);
    return { ...base, status: failed ? 'fail' : 'pass', maxAbsError: maxAbs, maxRelError: maxRel, outputs: checks, ...(failed ? { message: failed.message } : {}) };
  } catch (e) {
    // A failing case must not stop the others: record it. A non-kconv error is a kconv bug,
    // reported as INTERNAL so it stands out.
    if (e instanceof KconvError) return { ...base, status: 'error', code: e.code, message: e.message };
    return { ...base, status: 'error', code: 'INTERNAL', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** Short display name of a case relative to where verify was pointed. */
export function displayName(spec: { dir: string; id: string }, root: string): string {
  const rel = relative(statSync(root).isFile() ? dirname(root) : root, spec.dir);
  return rel && !rel.startsWith('..') ? rel : spec.id;
}
