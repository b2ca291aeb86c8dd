/**
 * The public API pieces that need no reader: the inspect report of a hand-built graph, weights
 * by layer name, input binding and errors of predict, progress bar drawing, safe file writing.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Model, KconvError, float32, load, type Graph } from '../../src/index.js';
import { writeFileSafely } from '../../src/node.js';
import { bindByName } from '../../src/cli/commands/run.js';
import { createProgress } from '../../src/cli/progress.js';

/** Input(steps=None, 3 channels) → Conv1D(4 filters, k=2, causal, dilation 2) → Dense(1). */
function smallGraph(): Graph {
  return {
    name: 'tiny',
    inputs: ['x'],
    outputs: ['y'],
    nodes: [
      { op: 'Input', name: 'x', inputs: [], outputs: ['x'], attrs: { shape: [null, 3], batchSize: null, dtype: 'float32' }, weights: {} },
      {
        op: 'Conv1D',
        name: 'conv',
        inputs: ['x'],
        outputs: ['h'],
        attrs: { kernelSize: 2, stride: 1, dilation: 2, padding: { kind: 'explicit', before: 2, after: 0 }, layout: 'NWC', filters: 4, inChannels: 3, groups: 1, activation: { fn: 'relu' }, useBias: true },
        weights: { kernel: 'conv/kernel', bias: 'conv/bias' },
        keras: { className: 'Convolution1D', config: {}, layerName: 'conv' },
      },
      {
        op: 'Dense',
        name: 'dense',
        inputs: ['h'],
        outputs: ['y'],
        attrs: { units: 1, inFeatures: 4, activation: { fn: 'linear' }, useBias: false },
        weights: { kernel: 'dense/kernel' },
      },
    ],
    weights: new Map([
      ['conv/kernel', float32([2, 3, 4])],
      ['conv/bias', float32([4])],
      ['dense/kernel', float32([4, 1])],
    ]),
    provenance: { format: 'keras-h5', kerasVersion: '1.2.2', assumedBackend: 'tensorflow', warnings: [] },
  };
}

describe('Model.inspect / summary', () => {
  const report = new Model(smallGraph(), 'tiny.h5').inspect();

  it('reports format, versions and the assumed backend with a warning', () => {
    expect(report).toMatchObject({ schema: 1, file: 'tiny.h5', format: 'keras-h5', kerasVersion: '1.2.2', backend: null, assumedBackend: 'tensorflow' });
    expect(report.warnings).toContain('backend not recorded; assuming tensorflow');
  });

  it('lists layers with class names and parameter counts, and the canonical Conv1D config', () => {
    expect(report.layers.map((l) => [l.name, l.className, l.params])).toEqual([
      ['x', 'Input', 0],
      ['conv', 'Convolution1D', 2 * 3 * 4 + 4],
      ['dense', 'Dense', 4],
    ]);
    expect(report.conv1d).toEqual([
      {
        layer: 'conv', className: 'Convolution1D', filters: 4, inChannels: 3, kernelSize: 2, stride: 1, dilation: 2, groups: 1,
        padding: 'causal', padBefore: 2, padAfter: 0, dataFormat: 'channels_last', activation: 'relu', useBias: true, kernelShape: [2, 3, 4],
      },
    ]);
    expect(report.weights).toEqual({ tensors: 3, params: 32, bytes: 128, byDtype: { float32: 32 } });
    expect(report.runnable).toBe(true);
  });

  it('keeps a None steps axis unknown in the output shapes (no sample length is guessed)', () => {
    expect(report.layers.map((l) => l.outputShapes)).toEqual([[[null, null, 3]], [[null, null, 4]], [[null, null, 1]]]);
  });

  it('is plain JSON (survives a round trip unchanged)', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('summary() is a readable table with the Conv1D config and warnings', () => {
    const text = new Model(smallGraph(), 'tiny.h5').summary();
    expect(text).toContain('Format: keras-h5   Keras: 1.2.2   Backend: tensorflow (assumed: not recorded)');
    expect(text).toMatch(/conv\s+Convolution1D\s+.*\s+28/);
    expect(text).toMatch(/conv\s+4\s+2\s+1\s+2\s+1\s+causal\s+channels_last\s+relu\s+yes/);
    expect(text).toContain('warning: backend not recorded; assuming tensorflow');
  });
});

describe('Model.weights and predict inputs', () => {
  it('weights(name) returns the tensors by role; an unknown name lists the layers that have weights', () => {
    const m = new Model(smallGraph());
    expect(Object.keys(m.weights('conv'))).toEqual(['kernel', 'bias']);
    expect(m.weights('conv').kernel.shape).toEqual([2, 3, 4]);
    expect(() => m.weights('nope')).toThrow(/no layer named 'nope'; layers with weights: conv, dense/);
  });

  it('predict refuses inputs that do not match the model before running anything', async () => {
    const m = new Model(smallGraph());
    await expect(m.predict([])).rejects.toThrow(/has 1 input\(s\) \(x\), 0 given/);
    await expect(m.predict({ z: float32([1, 5, 3]) })).rejects.toThrow(/no input named 'z'/);
    await expect(m.predict({ dtype: 'float32', shape: [1, 5, 3], data: new Float32Array(2) })).rejects.toThrow(KconvError);
  });
});

describe('load', () => {
  it('refuses bytes of no known format with UNSUPPORTED_FORMAT', async () => {
    await expect(load(new Uint8Array([1, 2, 3, 4]), { filename: 'x.bin' })).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
  });
  it('refuses an unknown backend with USAGE', async () => {
    await expect(load(new Uint8Array(8), { backend: 'cntk' as 'theano' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('bindByName', () => {
  it('binds positionally in order, or by name=path, and rejects extras and duplicates', () => {
    expect([...bindByName(['a.npy', 'b.npy'], ['x', 'y'], 'input')]).toEqual([['x', 'a.npy'], ['y', 'b.npy']]);
    expect([...bindByName(['y=b.npy', 'a.npy'], ['x', 'y'], 'input')]).toEqual([['y', 'b.npy'], ['x', 'a.npy']]);
    // A '=' in a path that is not a model name stays a path.
    expect([...bindByName(['run=3/a.npy'], ['x'], 'input')]).toEqual([['x', 'run=3/a.npy']]);
    expect(() => bindByName(['a', 'b'], ['x'], 'input')).toThrow(/has 1 input\(s\)/);
    expect(() => bindByName(['x=a', 'x=b'], ['x'], 'input')).toThrow(/given twice/);
  });
});

describe('progress bar', () => {
  it('draws nothing unless the stream is a TTY', () => {
    let text = '';
    const p = createProgress(5, 'verify', { isTTY: false, write: (s: string) => (text += s) }, true);
    p.tick('a');
    p.done();
    expect(text).toBe('');
  });
  it('draws on a TTY, ends at n/n and erases itself', () => {
    let text = '';
    const p = createProgress(2, 'verify', { isTTY: true, columns: 80, write: (s: string) => (text += s) }, true);
    p.tick('a');
    p.tick('b');
    p.done();
    expect(text).toContain('verify [');
    expect(text).toContain('2/2 b');
    expect(text.endsWith('\r\x1b[K')).toBe(true);
  });
  it('draws nothing when disabled (--quiet)', () => {
    let text = '';
    createProgress(3, 'x', { isTTY: true, write: (s: string) => (text += s) }, false).tick();
    expect(text).toBe('');
  });
});

describe('writeFileSafely', () => {
  it('writes, refuses to overwrite unless forced, and never writes over an input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-write-'));
    const out = join(dir, 'out.bin');
    await writeFileSafely(out, new Uint8Array([1]));
    expect([...readFileSync(out)]).toEqual([1]);
    await expect(writeFileSafely(out, new Uint8Array([2]))).rejects.toThrow(expect.objectContaining({ code: 'OUTPUT_EXISTS' }));
    await writeFileSafely(out, new Uint8Array([3]), { force: true });
    expect([...readFileSync(out)]).toEqual([3]);
    const input = join(dir, 'in.h5');
    writeFileSync(input, 'model');
    await expect(writeFileSafely(input, new Uint8Array([4]), { force: true, inputs: [input] })).rejects.toThrow(/it is an input/);
    expect(readFileSync(input, 'utf8')).toBe('model');
    // No temporary files are left behind.
    expect(readdirSync(dir).sort()).toEqual(['in.h5', 'out.bin']);
  });
  it('fails with IO_ERROR when the directory does not exist, leaving nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kconv-write-'));
    await expect(writeFileSafely(join(dir, 'missing', 'x'), new Uint8Array([1]))).rejects.toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});
