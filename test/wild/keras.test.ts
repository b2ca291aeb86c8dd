/**
 * Every `.keras` file of the shared corpus (real files from public repositories): it loads, its
 * weights are all read, runnable models run, and custom layers fail to run with a clear error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { openHdf5 } from '../../src/formats/hdf5.js';
import { openZip } from '../../src/formats/zip.js';
import type { Graph } from '../../src/ir/graph.js';
import { float32, numElements, toFloat32 } from '../../src/tensor.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { runGraph } from '../../src/runtime/index.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';
import { Rng } from '../helpers/random.js';

const available = corpusAvailable();
const WILD = join(CORPUS, 'wild');

function kerasFiles(): string[] {
  if (!available) return [];
  return readdirSync(WILD)
    .flatMap((dir) => readdirSync(join(WILD, dir)).map((f) => `${dir}/${f}`))
    .filter((f) => f.endsWith('.keras'))
    .sort();
}

/** Number of variables stored under `prefix` in a weights file (the optimizer's excluded). */
async function countStoredVariables(weightsH5: Uint8Array, prefix = '/layers'): Promise<number> {
  const h5 = await openHdf5(weightsH5);
  try {
    const count = (path: string): number => h5.keys(path).reduce((n, k) => {
      const p = `${path}/${k}`;
      return n + (h5.isDataset(p) ? 1 : count(p));
    }, 0);
    return count(prefix);
  } finally {
    h5.close();
  }
}

function configOf(bytes: Uint8Array) {
  return JSON.parse(new TextDecoder().decode(openZip(bytes).read('config.json')));
}

/** Runs the graph on a seeded random batch of 3; null dimensions of the input become 16. */
function runSeeded(graph: Graph) {
  const input = graph.nodes.find((n) => n.op === 'Input');
  if (!input || input.op !== 'Input') throw new Error('graph without an Input node');
  const shape = [3, ...input.attrs.shape.map((d) => d ?? 16)];
  const rng = new Rng(20240611);
  const x = float32(shape, Array.from({ length: numElements(shape) }, () => rng.next() * 2 - 1));
  return runGraph(graph, [x]);
}

describe.runIf(available)('real-world .keras files (../shared/corpus/wild)', () => {
  const files = kerasFiles();

  it('finds the corpus .keras files', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  for (const f of files) {
    it(`${f}: loads, with every stored variable read`, async () => {
      const bytes = readFileSync(join(WILD, f));
      const graph = await readKerasArchive(bytes, { filename: f });
      expect(graph.provenance.format).toBe('keras-v3');
      expect(graph.provenance.kerasVersion).toMatch(/^3\.\d+\.\d+$/);
      expect(graph.provenance.warnings.filter((w) => w.includes('no layer of the config uses'))).toEqual([]);
      const stored = await countStoredVariables(openZip(bytes).read('model.weights.h5'));
      expect(graph.weights.size).toBe(stored);
    });
  }

  // The Sequential models of the corpus that end in a Dense layer: output [batch, units].
  for (const f of files.filter((x) => !x.includes('tcn'))) {
    it(`${f}: runs on a seeded input, giving finite outputs of the shape the config declares`, async () => {
      const bytes = readFileSync(join(WILD, f));
      const config = configOf(bytes);
      const last = config.config.layers[config.config.layers.length - 1];
      expect(last.class_name).toBe('Dense');
      const graph = await readKerasArchive(bytes, { filename: f });
      const [y] = runSeeded(graph);
      expect(y.shape).toEqual([3, last.config.units]);
      expect(toFloat32(y).every(Number.isFinite)).toBe(true);
    });
  }

  it('keras-tcn: the TCN layer keeps all its (hidden) Conv1D weights, expands into kconv ops and runs', async () => {
    const f = files.find((x) => x.includes('tcn'));
    expect(f).toBeDefined();
    const bytes = readFileSync(join(WILD, f!));
    const graph = await readKerasArchive(bytes, { filename: f });
    const parts = graph.nodes.filter((n) => n.keras?.layerName === 'tcn');
    expect(parts.every((n) => n.keras?.className === 'TCN' && n.keras.expandedFrom === 'TCN')).toBe(true);
    const inFile = await countStoredVariables(openZip(bytes).read('model.weights.h5'), '/layers/tcn');
    // 6 residual blocks × 2 Conv1D × (kernel, bias), plus the 1×1 matching Conv1D of the first block.
    expect(inFile).toBe(26);
    const convs = parts.filter((n) => n.op === 'Conv1D');
    expect(convs).toHaveLength(13);
    expect(convs.map((n) => graph.weights.get(n.weights.kernel)!.shape)).toContainEqual([3, 64, 64]);
    // dilations 1..32, causal: the last step of the skip-connection sum, then Dense(1)
    expect(convs.map((n) => (n.op === 'Conv1D' ? n.attrs.dilation : 0))).toEqual([1, 1, 1, 2, 2, 4, 4, 8, 8, 16, 16, 32, 32]);
    const [y] = runSeeded(graph);
    expect(y.shape).toEqual([3, 1]);
    expect(toFloat32(y).every(Number.isFinite)).toBe(true);
  });

  it('reads an HDF5 model named .keras as HDF5 (extensions lie)', async () => {
    const bytes = readFileSync(join(WILD, 'ecg-keras3.13-legacy-h5', 'ecg_model.h5'));
    const graph = await readKerasArchive(bytes, { filename: 'ecg_model.keras' });
    expect(graph.provenance.format).not.toBe('keras-v3');
    expect(graph.provenance.warnings.join(' ')).toMatch(/HDF5/);
    expect(graph.nodes.some((n) => n.op === 'Conv1D')).toBe(true);
  });
});
