/**
 * TF1 checkpoints written by real TensorFlow (tf.compat.v1.layers, fixtures/generate/gen_tf1.py):
 * every case loads, the recovered layer configs equal the ones the case was built with, and the
 * outputs match TensorFlow's within `close`. Cases without a `.meta` are described to kconv from
 * case.json's record of the layers, as a user would describe them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { KconvError } from '../../src/errors.js';
import { checkpointGraph, openCheckpoint } from '../../src/tf/checkpoint.js';
import type { Tf1ModelSpec } from '../../src/tf/tf1-nometa.js';
import { resolveCheckpoint } from '../../src/node/checkpoint-files.js';
import { runGraph } from '../../src/runtime/index.js';
import { compareWithKeras, goldenCases, loadCase, type GoldenCase } from '../helpers/cases.js';
import { FIXTURES } from '../helpers/paths.js';
import { load } from '../../src/api/load.js';
import { kconv } from '../cli/run-kconv.js';

interface Tf1Record {
  inputShape: (number | null)[];
  variableScope: string | null;
  layers: { op: string; kwargs: Record<string, unknown>; variables: { name: string; shape: number[] }[] }[];
}

const haveManifest = existsSync(join(FIXTURES, 'manifest.json'));
if (!haveManifest && process.env.CI === 'true') throw new Error(`CI=true but ${join(FIXTURES, 'manifest.json')} is missing: the golden tiers must run in CI`);
const cases = haveManifest ? goldenCases('tf1-ckpt', 'tf1-ckpt-nometa') : [];

/** What the user of a no-meta checkpoint writes: the layers as built, from case.json. */
function specOf(c: GoldenCase): Tf1ModelSpec {
  const tf1 = c.json.tf1 as Tf1Record;
  return {
    input: tf1.inputShape,
    ...(tf1.variableScope ? { scope: tf1.variableScope } : {}),
    layers: tf1.layers.map((l) => ({ type: l.op.split('.').pop()!, ...l.kwargs })),
  };
}

/** Checkpoints of training graphs (labels placeholder, loss, optimizer): real TF 1.13, gen_tf1.py. */
const TRAINING_GRAPHS = new Set(['tf1-train-labels-adam']);

const one = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);

/** Keras defaults of the tf.layers arguments a case may leave out. */
const DEFAULTS: Record<string, Record<string, unknown>> = {
  conv1d: { strides: 1, padding: 'valid', data_format: 'channels_last', dilation_rate: 1, activation: 'linear', use_bias: true },
  dense: { activation: 'linear', use_bias: true },
  max_pooling1d: { padding: 'valid', data_format: 'channels_last' },
  average_pooling1d: { padding: 'valid', data_format: 'channels_last' },
  flatten: {},
};

function layerNodes(graph: Graph) {
  return graph.nodes.filter((n) => n.op !== 'Input');
}

describe('TF1 golden cases', () => {
  test('the manifest lists TF1 checkpoint cases (when fixtures are present)', () => {
    if (haveManifest) expect(cases.length).toBeGreaterThan(0);
  });

  test.each(cases.map((c) => [`${c.entry.env} ${c.entry.id}`, c] as const))('%s', (_id, c) => {
    const files = resolveCheckpoint(join(c.dir, c.json.files.model!));
    const nometa = c.json.format === 'tf1-ckpt-nometa';
    expect(files.meta === undefined).toBe(nometa);
    // a training graph also feeds a labels placeholder: the model input is named (see below)
    const inputNode = TRAINING_GRAPHS.has(c.entry.id) ? (c.json.tf1 as { inputTensor: string }).inputTensor.split(':')[0] : undefined;
    const graph = checkpointGraph(files, nometa ? { layers: specOf(c) } : { ...(inputNode ? { inputNode } : {}) });
    expect(graph.provenance.format).toBe('tf1-checkpoint');
    expect(graph.provenance.warnings.filter((w) => w.includes('does not use') || w.includes('not used'))).toEqual([]);

    // The recovered configs equal the ones the layers were built with.
    const tf1 = c.json.tf1 as Tf1Record;
    const nodes = layerNodes(graph);
    expect(nodes.map((n) => n.keras?.className)).toEqual(
      tf1.layers.map((l) => ({ conv1d: 'Conv1D', dense: 'Dense', max_pooling1d: 'MaxPooling1D', average_pooling1d: 'AveragePooling1D', flatten: 'Flatten' })[l.op.split('.').pop()!]),
    );
    tf1.layers.forEach((l, i) => {
      const type = l.op.split('.').pop()!;
      const built = { ...DEFAULTS[type], ...l.kwargs };
      if (type.endsWith('pooling1d') && built.strides === undefined) built.strides = built.pool_size;
      const recovered = nodes[i].keras!.config;
      for (const [key, value] of Object.entries(built)) {
        if (key === 'activation' && !(key in recovered) && value === 'linear') continue; // pooling/flatten have none
        if (key === 'name') {
          expect(nodes[i].keras!.layerName, `${nodes[i].name}.name`).toBe(value);
          continue;
        }
        expect(one(recovered[key]), `${nodes[i].name}.${key}`).toEqual(typeof value === 'string' ? value.toLowerCase() : one(value));
      }
      // Weights come from the variables the layer created (partitioned ones reassembled).
      const keys = nodes[i].keras!.weightNames ?? [];
      expect(keys).toEqual([...new Set(l.variables.map((v) => v.name.replace(/\/part_\d+$/, '')))]);
    });

    // A case without Keras's output must say why (expectError: TensorFlow could not run the graph);
    // one that silently has none would pass on loading alone.
    if (c.json.files.expected.length === 0) {
      expect(c.json.expectError, `${c.entry.id} has no expected output and is not marked expectError`).toBe(true);
      expect(c.json.notes ?? '', `${c.entry.id}: expectError without a recorded reason`).toMatch(/\S/);
      return;
    }
    const cmp = compareWithKeras(c, runGraph(graph, c.inputs()));
    expect(cmp.pass, cmp.message).toBe(true);
  });
});

describe('a training checkpoint (issue 15: a labels placeholder next to the input)', () => {
  const c = cases.find((x) => TRAINING_GRAPHS.has(x.entry.id));
  test.runIf(haveManifest)('has the TF 1.13 training-graph fixture', () => expect(c).toBeDefined());
  test.runIf(c !== undefined)('without inputNode: an error naming both placeholders and the option; load() and the CLI take inputNode', async () => {
    const prefix = join(c!.dir, c!.json.files.model!);
    const files = resolveCheckpoint(prefix);
    expect(() => checkpointGraph(files)).toThrow(/several rank-3 placeholders \(input, labels\): name the model input with inputNode/);
    const model = await load({ checkpoint: files }, { inputNode: 'input' });
    const cmp = compareWithKeras(c!, await model.predict(c!.inputs()));
    expect(cmp.pass, cmp.message).toBe(true);
    await expect(load({ checkpoint: files }, { inputNode: 'nope' })).rejects.toThrow(/no placeholder named "nope"; the graph has input, labels/);
    await expect(load(new Uint8Array(8), { inputNode: 'input' })).rejects.toThrow(/inputNode names the input placeholder of a TF1 checkpoint/);
    const cli = kconv(['run', prefix, '--input', join(c!.dir, 'input.npy'), '--expected', join(c!.dir, 'expected.npy'), '--input-node', 'input']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('MATCH');
    const without = kconv(['run', prefix, '--input', join(c!.dir, 'input.npy')]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('--input-node');
  }, 120_000);
});

/** The first TF1 checkpoint case on disk (found without the manifest, so these run whenever the cases exist). */
function firstTf1CaseOnDisk(): GoldenCase | undefined {
  const root = join(FIXTURES, 'cases');
  if (!existsSync(root)) return undefined;
  for (const env of readdirSync(root).sort()) {
    for (const id of readdirSync(join(root, env)).sort()) {
      const file = join(root, env, id, 'case.json');
      if (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).format === 'tf1-ckpt') {
        return loadCase({ id, env, format: 'tf1-ckpt', dir: `cases/${env}/${id}`, files: {} });
      }
    }
  }
  return undefined;
}

describe('TF1 checkpoint corruption (on a real TF-written fixture)', () => {
  const c = firstTf1CaseOnDisk();

  test('a TF1 checkpoint fixture is present', () => {
    expect(c, 'fixtures/cases/*/ should hold at least one tf1-ckpt case').toBeDefined();
  });

  function codeOf(f: () => unknown): string | undefined {
    try {
      f();
    } catch (e) {
      if (e instanceof KconvError) return `${e.code} ${e.where ?? ''}`.trim();
      throw e;
    }
    return undefined;
  }

  test('one flipped bit in a data file: CHECKSUM_MISMATCH naming the tensor', () => {
    const files = resolveCheckpoint(join(c!.dir, c!.json.files.model!));
    const bundle = openCheckpoint(files);
    const kernel = [...bundle.entries.values()].find((e) => e.name.endsWith('kernel') && !e.slices)!;
    const data = files.shards[kernel.shardId]!.slice();
    data[kernel.offset + Math.floor(kernel.size / 2)] ^= 0x01;
    const shards = files.shards.map((s, i) => (i === kernel.shardId ? data : s));
    expect(codeOf(() => openCheckpoint({ ...files, shards }).tensor(kernel.name))).toBe(`CHECKSUM_MISMATCH ${kernel.name}`);
    expect(codeOf(() => checkpointGraph({ ...files, shards }))).toBe(`CHECKSUM_MISMATCH ${kernel.name}`);
  });

  test('a truncated index: CORRUPT_FILE', () => {
    const files = resolveCheckpoint(join(c!.dir, c!.json.files.model!));
    for (const keep of [0, 10, files.index!.length - 48, files.index!.length - 1]) {
      expect(codeOf(() => openCheckpoint({ ...files, index: files.index!.subarray(0, keep) }))?.split(' ')[0]).toBe('CORRUPT_FILE');
    }
  });
});
