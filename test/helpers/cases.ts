/**
 * Golden cases exported from real Keras (fixtures/generate): one directory per case with the
 * model file(s), input*.npy, expected*.npy and case.json, all listed in fixtures/manifest.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../src/formats/npy.js';
import { toFloat32, type Tensor } from '../../src/tensor.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { FIXTURES } from './paths.js';

export interface CaseJson {
  id: string;
  env: string;
  versions: Record<string, string>;
  format: string;
  files: {
    model?: string;
    architecture?: string;
    inputs: string[];
    expected: string[];
    reloaded?: string[];
    /** Consecutive predict calls on one model object (stateful cases): call 1 is inputs/expected. */
    calls?: { inputs: string[]; expected: string[]; reloaded?: string[]; resetStatesBefore: boolean }[];
  };
  tolerance: string;
  layers?: { class_name: string; config: Record<string, unknown> }[];
  conv1d?: Record<string, unknown>;
  expectError?: boolean;
  predict?: string;
  notes?: string;
  [key: string]: unknown;
}

export interface ManifestEntry {
  id: string;
  env: string;
  format: string;
  dir: string;
  files: Record<string, string>;
}

export interface GoldenCase {
  entry: ManifestEntry;
  /** Absolute path of the case directory. */
  dir: string;
  json: CaseJson;
  /** Reads a file of the case as bytes. */
  bytes(relative: string): Uint8Array;
  inputs(): Tensor[];
  expected(): Tensor[];
}

export function readManifest(): { cases: ManifestEntry[] } {
  return JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8'));
}

export function loadCase(entry: ManifestEntry): GoldenCase {
  const dir = join(FIXTURES, entry.dir);
  const json: CaseJson = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  const bytes = (relative: string) => new Uint8Array(readFileSync(join(dir, relative)));
  return {
    entry,
    dir,
    json,
    bytes,
    inputs: () => json.files.inputs.map((f) => readNpy(bytes(f), f)),
    expected: () => json.files.expected.map((f) => readNpy(bytes(f), f)),
  };
}

/** All cases whose format is one of `formats` (every case when omitted). */
export function goldenCases(...formats: string[]): GoldenCase[] {
  return readManifest()
    .cases.filter((c) => formats.length === 0 || formats.includes(c.format))
    .map(loadCase);
}

/**
 * Golden cases kconv refuses to read, with the refusal asserted (test/golden/h5.test.ts) instead of a
 * comparison: `env/id` → the error code and message. Every entry is a gap, listed in the report.
 */
export const KNOWN_UNSUPPORTED: Record<string, { code: string; message: RegExp }> = Object.fromEntries(
  ['keras1.2', 'keras1.2-tf'].flatMap((env) =>
    ['k1-model-seq-merge-layer--h5', 'k1-model-seq-merge-layer--h5-weights'].map((id) => [
      `${env}/${id}`,
      { code: 'UNSUPPORTED_LAYER', message: /Keras 1's Merge layer over Sequential models/ },
    ]),
  ),
);

/** Cases where the Keras of that env raised while saving: there is no model file to read. */
export function savedByKeras(c: GoldenCase): boolean {
  return c.json.files.model !== undefined;
}

export interface KerasComparison {
  pass: boolean;
  /** Which real-Keras output kconv was held to. */
  oracle: 'expected' | 'reloaded';
  maxAbsError: number;
  message?: string;
}

/**
 * Compares kconv's outputs with what real Keras computed for the case. The oracle is
 * `expected*.npy` (the model as built), except where the writer recorded another model than the
 * one it was given (e.g. Keras 3.2.1 writes every call of a shared layer as node 0): then the
 * generator saved `reloaded*.npy`, that same Keras's outputs after loading the file, and a faithful
 * reader is held to those alone. Where Keras could not load its own file at all, kconv is still
 * held to expected*.npy.
 *
 * The golden tier holds every case to the per-element `golden` tolerance, tighter than the
 * `close` that case.json names (what `kconv verify` uses by default).
 */
export function compareWithKeras(c: GoldenCase, outputs: Tensor[]): KerasComparison {
  const tol = tolerance('golden');
  const oracle = c.json.files.reloaded ? 'reloaded' : 'expected';
  const refs = (c.json.files.reloaded ?? c.json.files.expected).map((f) => readNpy(c.bytes(f), f));
  if (refs.length !== outputs.length) {
    return { pass: false, oracle, maxAbsError: Infinity, message: `kconv gave ${outputs.length} outputs, Keras ${refs.length}` };
  }
  let maxAbs = 0;
  for (let i = 0; i < refs.length; i++) {
    if (outputs[i].shape.join() !== refs[i].shape.join()) {
      return { pass: false, oracle, maxAbsError: Infinity, message: `output ${i}: shape [${outputs[i].shape}] vs Keras [${refs[i].shape}]` };
    }
    const cmp = compareArrays(toFloat32(outputs[i]), toFloat32(refs[i]), tol);
    maxAbs = Math.max(maxAbs, cmp.maxAbsError);
    if (!cmp.pass) return { pass: false, oracle, maxAbsError: maxAbs, message: `output ${i} vs ${oracle}: ${cmp.message}` };
  }
  return { pass: true, oracle, maxAbsError: maxAbs };
}
