/**
 * Every legacy HDF5 file of the shared corpus (../shared/corpus/wild/**.h5|.hdf5), read in place:
 * config and weights load (Keras 1 included); weights-only files list and read every weight;
 * models whose layers kconv supports run on a seeded random input and give finite outputs of the
 * shape shape inference promised; the others fail to run with UNSUPPORTED_LAYER naming the layer
 * and its class.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { openHdf5 } from '../../src/formats/hdf5.js';
import { loadWeightsInto, readKerasH5File } from '../../src/keras/read/h5.js';
import { compile } from '../../src/runtime/index.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';
import { seededInputs } from '../helpers/model-inputs.js';

const WILD = join(CORPUS, 'wild');

function h5Files(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(WILD)) for (const f of readdirSync(join(WILD, dir))) if (/\.(h5|hdf5)$/i.test(f)) out.push(`${dir}/${f}`);
  return out.sort();
}

const read = (rel: string) => new Uint8Array(readFileSync(join(WILD, rel)));

/** What each file is expected to do: which layer classes keep it from running (none: it runs). */
const UNRUNNABLE: Record<string, string[]> = {
  'bpnet-keras2.2.4-revcomp/Spi1ProfileModel_rc.h5': ['RevCompConv1D', 'Lambda'],
  'factornet-keras1.1-theano/best_model.hdf5': ['TimeDistributed', 'Bidirectional'],
  'kapre-tfkeras-2.9-custom/conv1d.h5': ['STFT', 'Magnitude', 'MagnitudeToDecibel', 'ApplyFilterbank', 'TimeDistributed'],
};

const WEIGHTS_ONLY = new Set([
  'deepkme-tfkeras-subclassed-weights/Km1_CSTCS_16501.hdf5',
  'deeplift-keras2.1.6-weights-only/keras2_conv1d_record_5_model_PQzyq_modelWeights.h5',
  'factornet-keras1.1-theano/final_model.hdf5',
]);

const available = corpusAvailable();

describe.runIf(available)('legacy .h5 files in the wild', () => {
  // vitest runs a skipped describe's body while collecting: list the folder only when it exists
  const files = available ? h5Files() : [];

  it('finds the corpus files', () => {
    expect(files.length).toBeGreaterThanOrEqual(29);
  });

  for (const rel of files) {
    it(`${rel}: loads config and weights${WEIGHTS_ONLY.has(rel) ? ' (weights only)' : ''}`, async () => {
      const content = await readKerasH5File(read(rel), { filename: rel });
      if (WEIGHTS_ONLY.has(rel)) {
        expect(content.kind).toBe('weights');
        if (content.kind !== 'weights') return;
        const { weights } = content;
        expect(weights.layerNames.length).toBeGreaterThan(0);
        // Every weight is readable by layer name, with the shape the file declares.
        const file = await openHdf5(read(rel));
        try {
          let total = 0;
          for (const layer of weights.layerNames) {
            for (const w of weights.layer(layer)!) {
              expect(w.tensor.shape).toEqual(file.datasetInfo(w.where!).shape);
              total++;
            }
          }
          expect(total).toBeGreaterThan(0);
        } finally {
          file.close();
        }
        return;
      }
      expect(content.kind).toBe('model');
      if (content.kind !== 'model') return;
      const graph = content.graph;
      expect(graph.nodes.length).toBeGreaterThan(1);
      for (const node of graph.nodes) for (const key of Object.values(node.weights)) expect(graph.weights.has(key)).toBe(true);

      const blockers = UNRUNNABLE[rel];
      const inputs = seededInputs(graph, 1234);
      if (blockers) {
        const classes = graph.nodes.filter((n) => n.op === 'Unsupported').map((n) => (n.op === 'Unsupported' ? n.attrs.className : ''));
        for (const c of blockers) expect(classes).toContain(c);
        let err: unknown;
        try {
          compile(graph, inputs.map((t) => t.shape)).run(inputs);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(KconvError);
        expect((err as KconvError).code).toBe('UNSUPPORTED_LAYER');
        expect(blockers.some((c) => (err as KconvError).message.includes(c))).toBe(true);
        return;
      }
      const plan = compile(graph, inputs.map((t) => t.shape));
      const outputs = plan.run(inputs);
      expect(outputs.length).toBe(graph.outputs.length);
      outputs.forEach((out, i) => {
        expect(out.shape).toEqual(plan.outputShapes[i]);
        expect(out.data.length).toBeGreaterThan(0);
        expect(Array.from(out.data as Float32Array).every(Number.isFinite)).toBe(true);
      });
    });
  }

  it('deeplift: the weights-only file loads into its to_json() architecture and runs', async () => {
    const dir = 'deeplift-keras2.1.6-weights-only';
    const graph = await loadWeightsInto(read(`${dir}/keras2_conv1d_record_5_model_PQzyq_modelJson.json`), read(`${dir}/keras2_conv1d_record_5_model_PQzyq_modelWeights.h5`));
    expect(graph.nodes.filter((n) => n.op === 'Conv1D').length).toBe(2);
    const inputs = seededInputs(graph, 7);
    const [out] = compile(graph, inputs.map((t) => t.shape)).run(inputs);
    expect(Array.from(out.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('factornet: the Keras 1 weights-only file loads into model.json and into best_model.hdf5, with the same weights', async () => {
    const dir = 'factornet-keras1.1-theano';
    const fromJson = await loadWeightsInto(read(`${dir}/model.json`), read(`${dir}/final_model.hdf5`), { backend: 'theano' });
    const fromModel = await loadWeightsInto(read(`${dir}/best_model.hdf5`), read(`${dir}/final_model.hdf5`), { backend: 'theano' });
    expect([...fromJson.weights.keys()].sort()).toEqual([...fromModel.weights.keys()].sort());
    expect(fromJson.provenance.assumedBackend).toBe('theano');
    const conv = fromJson.nodes.find((n) => n.op === 'Conv1D')!;
    expect(fromJson.weights.get(conv.weights.kernel)!.shape).toEqual([34, 6, 32]);
    // The shared Convolution1D is one node per call, both reading the same weights.
    const calls = fromJson.nodes.filter((n) => n.keras?.layerName === 'convolution1d_1');
    expect(calls.map((n) => n.name)).toEqual(['convolution1d_1', 'convolution1d_1@1']);
    expect(calls[0].weights).toEqual(calls[1].weights);
  });
});
