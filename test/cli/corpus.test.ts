/**
 * The CLI on real-world files from ../shared/corpus (never copied into the repo): inspect every
 * HDF5 model, run models, convert them and check the converted file computes the same numbers,
 * the --backend flag on a Keras 1 file, weights-only files with --architecture, and the rules
 * for writing outputs (never over an input, never over an existing file without --force).
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/formats/npy.js';
import { float32 } from '../../src/tensor.js';
import { ensureBuilt } from '../helpers/build.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';
import { kconv } from './run-kconv.js';

const WILD = join(CORPUS, 'wild');

/** Deterministic smooth input of `shape` written to a temp .npy (not a golden value: only an input). */
function inputFile(dir: string, name: string, shape: number[]): string {
  const n = shape.reduce((a, b) => a * b, 1);
  const path = join(dir, name);
  writeFileSync(path, writeNpy(float32(shape, Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.8))));
  return path;
}

function intInputFile(dir: string, name: string, shape: number[], high: number): string {
  const n = shape.reduce((a, b) => a * b, 1);
  const path = join(dir, name);
  writeFileSync(path, writeNpy({ dtype: 'int32', shape, data: Int32Array.from({ length: n }, (_, i) => (i * 7) % high) }));
  return path;
}

describe.runIf(corpusAvailable())('kconv on ../shared/corpus', () => {
  let tmp: string;
  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'kconv-corpus-'));
  }, 240_000);

  const hdf5Models = () =>
    readdirSync(WILD)
      .flatMap((d) => readdirSync(join(WILD, d)).map((f) => join(WILD, d, f)))
      .filter((p) => /\.(h5|hdf5)$/.test(p))
      .sort();

  it('inspect --json describes every full-model HDF5 file; weights-only files list every tensor', () => {
    const files = hdf5Models();
    expect(files.length).toBeGreaterThanOrEqual(25);
    let models = 0;
    let weightsOnly = 0;
    for (const file of files) {
      const r = kconv(['inspect', file, '--json']);
      expect(r.code, `${file}: ${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.schema).toBe(1);
      if (report.weightTensors) {
        expect(report.format, file).toBe('keras-h5-weights');
        expect(report.runnable, file).toBe(false);
        expect(report.weightTensors.length, file).toBe(report.weights.tensors);
        weightsOnly++;
        continue;
      }
      expect(report.format).toBe('keras-h5');
      expect(report.layers.length, file).toBeGreaterThan(0);
      expect(report.weights.params, file).toBeGreaterThan(0);
      models++;
    }
    expect(models).toBeGreaterThanOrEqual(22);
    // factornet final_model, deeplift, DeepKme (subclassed: no architecture exists as JSON)
    expect(weightsOnly).toBe(3);
  }, 300_000); // one real process per file: ~30 processes

  it('inspect shows the writer, the backend, the Conv1D configs and shapes (Keras 2.1.3, Theano)', () => {
    const r = kconv(['inspect', join(WILD, 'dl4j-keras2.1.3-tf-vs-theano', 'embedding_conv1d_extended_theano_2.h5')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Format: keras-h5   Keras: 2.1.3   Backend: theano');
    expect(r.stdout).toMatch(/conv1d_1\s+Conv1D\s+\(None, 8, 128\)\s+19328/);
    expect(r.stdout).toMatch(/conv1d_3\s+32\s+3\s+1\s+1\s+1\s+valid\s+channels_last\s+relu\s+yes/);
  });

  it('a Keras 1 file warns that its backend is not recorded; --backend theano is honoured', () => {
    const file = join(WILD, 'dl4j-keras1.2.2-tf-vs-theano', 'embedding_conv1d_theano_1.h5');
    const assumed = JSON.parse(kconv(['inspect', file, '--json']).stdout);
    expect(assumed.backend).toBeNull();
    expect(assumed.assumedBackend).toBe('tensorflow');
    expect(assumed.warnings.join('\n')).toMatch(/does not record its backend; assuming 'tensorflow'/);
    const theano = JSON.parse(kconv(['inspect', file, '--json', '--backend', 'theano']).stdout);
    expect(theano.assumedBackend).toBe('theano');
    expect(kconv(['inspect', file]).stdout).toContain('Backend: tensorflow (assumed: not recorded)');

    // The flip changes the numbers: the same input through both readings differs.
    // The file's Embedding has a vocabulary of 4 (input_dim=4).
    const x = intInputFile(tmp, 'k1-x.npy', [1, ...assumed.inputs[0].shape.slice(1)], 4);
    const asTf = kconv(['run', file, '-i', x, '-o', join(tmp, 'k1-tf.npy')]);
    const asTheano = kconv(['run', file, '-i', x, '-o', join(tmp, 'k1-th.npy'), '--backend', 'theano']);
    expect(asTf.code, asTf.stderr).toBe(0);
    expect(asTheano.code, asTheano.stderr).toBe(0);
    const a = readNpy(new Uint8Array(readFileSync(join(tmp, 'k1-tf.npy'))));
    const b = readNpy(new Uint8Array(readFileSync(join(tmp, 'k1-th.npy'))));
    expect(a.shape).toEqual(b.shape);
    expect(Array.from(a.data as Float32Array)).not.toEqual(Array.from(b.data as Float32Array));
  });

  it('run writes one .npy per output and describes it; --json reports shapes and stats', () => {
    const model = join(WILD, 'dl4j-keras2.1.3-cnn1d-flatten', 'cnn1d_flatten_tf_keras2.h5');
    const report = JSON.parse(kconv(['inspect', model, '--json']).stdout);
    const x = inputFile(tmp, 'cnn-x.npy', [2, ...report.inputs[0].shape.slice(1)]);
    const out = join(tmp, 'cnn-y.npy');
    const r = kconv(['run', model, '--input', x, '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    const y = readNpy(new Uint8Array(readFileSync(out)));
    expect(y.shape).toEqual([2, ...report.outputs[0].shape.slice(1)]);
    expect(Array.from(y.data as Float32Array).every(Number.isFinite)).toBe(true);
    expect(r.stdout).toContain(`output ${report.outputs[0].name}: shape (${y.shape.join(', ')}) float32`);
    expect(r.stdout).toContain(`written to ${out}`);

    const j = kconv(['run', model, '--input', x, '--json']);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.outputs[0]).toMatchObject({ name: report.outputs[0].name, shape: y.shape, dtype: 'float32' });

    // By name, and a second run refuses to overwrite its output without --force.
    const byName = kconv(['run', model, '--input', `${report.inputs[0].name}=${x}`, '--output', `${report.outputs[0].name}=${out}`]);
    expect(byName.code).toBe(2);
    expect(byName.stderr).toMatch(/^kconv: error OUTPUT_EXISTS: .* already exists \(pass --force/);
    expect(kconv(['run', model, '--input', `${report.inputs[0].name}=${x}`, '--output', `${report.outputs[0].name}=${out}`, '--force']).code).toBe(0);
  });

  it('run refuses a wrongly shaped input with BAD_INPUT (exit 2), and --expected detects a mismatch (exit 1)', () => {
    const model = join(WILD, 'dl4j-keras2.1.3-cnn1d-flatten', 'cnn1d_flatten_tf_keras2.h5');
    const report = JSON.parse(kconv(['inspect', model, '--json']).stdout);
    const bad = inputFile(tmp, 'bad-x.npy', [1, 7, 3]);
    const r = kconv(['run', model, '-i', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error (BAD_INPUT|INVALID_GRAPH): /);

    const x = inputFile(tmp, 'cmp-x.npy', [1, ...report.inputs[0].shape.slice(1)]);
    const y = join(tmp, 'cmp-y.npy');
    expect(kconv(['run', model, '-i', x, '-o', y]).code).toBe(0);
    const same = kconv(['run', model, '-i', x, '--expected', y, '--tolerance', 'exact']);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(/vs .*cmp-y\.npy: MATCH \(max abs error 0\.00e\+0/);
    // A reference that is off by 1% everywhere is a failed check, not an error.
    const t = readNpy(new Uint8Array(readFileSync(y)));
    const off = join(tmp, 'cmp-off.npy');
    writeFileSync(off, writeNpy(float32(t.shape, Array.from(t.data as Float32Array, (v) => v * 1.01 + 0.01))));
    const diff = kconv(['run', model, '-i', x, '--expected', off]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('MISMATCH');
  });

  it('weights-only files load with --architecture and run', () => {
    const dir = join(WILD, 'deeplift-keras2.1.6-weights-only');
    const weights = join(dir, 'keras2_conv1d_record_5_model_PQzyq_modelWeights.h5');
    const arch = join(dir, 'keras2_conv1d_record_5_model_PQzyq_modelJson.json');
    const r = kconv(['inspect', weights, '--architecture', arch, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.format).toBe('keras-h5-weights');
    expect(report.conv1d.length).toBeGreaterThan(0);
    const x = inputFile(tmp, 'dl-x.npy', [1, ...report.inputs[0].shape.slice(1)]);
    const run = kconv(['run', weights, '--architecture', arch, '-i', x]);
    expect(run.code, run.stderr).toBe(0);
  });

  it('a model with layers kconv cannot run inspects fine and fails to run with UNSUPPORTED_LAYER naming the layer', () => {
    const model = join(WILD, 'kapre-tfkeras-2.9-custom', 'conv1d.h5');
    const report = JSON.parse(kconv(['inspect', model, '--json']).stdout);
    expect(report.runnable).toBe(false);
    expect(report.unsupported.length).toBeGreaterThan(0);
    const first = report.unsupported[0];
    const shape = report.inputs[0].shape.map((d: number | null, i: number) => (i === 0 ? 1 : (d ?? 64)));
    const r = kconv(['run', model, '-i', inputFile(tmp, 'kapre-x.npy', shape)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error UNSUPPORTED_LAYER: /);
    expect(r.stderr).toContain(first.className);
  });

  it('convert --to keras-h5 writes a file that computes exactly the same outputs; it never overwrites', () => {
    const model = join(WILD, 'dl4j-tfkeras-2.5-doublecount', 'cnn_1d_doublecount.h5.h5');
    const out = join(tmp, 'doublecount.h5');
    const c = kconv(['convert', model, '--to', 'keras-h5', '-o', out]);
    expect(c.code, c.stderr).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(0);
    const report = JSON.parse(kconv(['inspect', model, '--json']).stdout);
    const x = inputFile(tmp, 'dc-x.npy', [1, ...report.inputs[0].shape.slice(1).map((d: number | null) => d ?? 32)]);
    const y = join(tmp, 'dc-y.npy');
    expect(kconv(['run', model, '-i', x, '-o', y]).code).toBe(0);
    const again = kconv(['run', out, '-i', x, '--expected', y, '--tolerance', 'exact']);
    expect(again.code, again.stdout + again.stderr).toBe(0);

    const exists = kconv(['convert', model, '--to', 'keras-h5', '-o', out]);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/^kconv: error OUTPUT_EXISTS: /);
    expect(kconv(['convert', model, '--to', 'keras-h5', '-o', out, '--force']).code).toBe(0);
    const self = kconv(['convert', out, '--to', 'keras-h5', '-o', out, '--force']);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/^kconv: error OUTPUT_EXISTS: refusing to write .* it is an input/);
  });

  it('convert DIR -o OUTDIR converts every model file in it', () => {
    const out = join(tmp, 'grid-out');
    const r = kconv(['convert', join(WILD, 'dl4j-tfkeras-2.2.4-cnn1d-grid'), '--to', 'keras-h5', '--target-version', '2.15', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const written = readdirSync(out).sort();
    expect(written.length).toBe(12);
    expect(written.every((f) => f.endsWith('.h5'))).toBe(true);
    expect(r.stdout.trim().split('\n').filter((l) => l.includes(' -> '))).toHaveLength(12);
    expect(r.stdout).toContain('Summary: 12 converted, 0 refused (the target cannot hold them), 0 failed, of 12.');
    for (const f of written) expect(kconv(['inspect', join(out, f), '--json']).code).toBe(0);
  }, 180_000);

  it('.keras archives from the wild inspect; a runnable one converts to keras-h5 with identical outputs', () => {
    const archives = readdirSync(WILD)
      .flatMap((d) => readdirSync(join(WILD, d)).map((f) => join(WILD, d, f)))
      .filter((p) => p.endsWith('.keras'));
    expect(archives.length).toBeGreaterThanOrEqual(3);
    for (const file of archives) {
      const r = kconv(['inspect', file, '--json']);
      expect(r.code, `${file}: ${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.format).toBe('keras-v3');
      expect(report.kerasVersion).toMatch(/^3\./);
    }
    const model = join(WILD, 'ecg-keras3.6-dotkeras', 'ecg_model.keras');
    const report = JSON.parse(kconv(['inspect', model, '--json']).stdout);
    expect(report.runnable).toBe(true);
    const x = inputFile(tmp, 'ecg-x.npy', [4, ...report.inputs[0].shape.slice(1)]);
    const y = join(tmp, 'ecg-y.npy');
    expect(kconv(['run', model, '-i', x, '-o', y]).code).toBe(0);
    const h5 = join(tmp, 'ecg.h5');
    const c = kconv(['convert', model, '--to', 'keras-h5', '-o', h5]);
    expect(c.code, c.stderr).toBe(0);
    const again = kconv(['run', h5, '-i', x, '--expected', y, '--tolerance', 'exact']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('TensorFlow checkpoints that are not Conv1D models are listed tensor by tensor', () => {
    const dir = join(CORPUS, 'tf-serving', 'saved_model_half_plus_two_cpu');
    const r = kconv(['inspect', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('tf-checkpoint-tensors');
    expect(doc.checkpoint).toMatchObject({ version: 'v2', shards: 1, graph: true });
    expect(doc.tensors.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['a', 'b']));
    expect(doc.warnings.join('\n')).toMatch(/not loadable as a model: UNSUPPORTED_FEATURE/);
    const text = kconv(['inspect', dir]);
    expect(text.stdout).toMatch(/^TensorFlow checkpoint: /);
  });

  it('a checkpoint state file pointing elsewhere is an input error naming where the checkpoint really is', () => {
    const r = kconv(['inspect', join(CORPUS, 'tf-serving', 'bad_half_plus_two')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kconv: error IO_ERROR: the checkpoint state file points to .* name it by its prefix/);
  });
});
