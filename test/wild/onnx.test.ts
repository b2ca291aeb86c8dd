/**
 * Every full model of the shared corpus (../shared/corpus/wild: Keras 1.1 and 1.2 with Theano and
 * TensorFlow kernels, Keras 2.1, tf.keras 2.2 to 2.9, Keras 3.1 to 3.13) exported to ONNX. What
 * happens to each file is committed below and asserted: written (with its opset) or refused with
 * NOT_REPRESENTABLE naming the layer kconv cannot run. A written model must run in onnxruntime
 * and agree with kconv's runtime on a seeded input at the `close` tolerance (these files come
 * without Keras's outputs; the golden ONNX tier holds the export to real Keras).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { loadFile } from '../../src/node.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { conv1dReference, runGraph } from '../../src/runtime/index.js';
import { compareArrays, TOLERANCES } from '../../src/verify/tolerance.js';
import { CORPUS, corpusAvailable } from '../helpers/paths.js';
import { Rng } from '../helpers/random.js';

const WILD = join(CORPUS, 'wild');

/** Weights-only files: they need their architecture and are not models on their own. */
const WEIGHTS_ONLY = ['deepkme-tfkeras-subclassed-weights/Km1_CSTCS_16501.hdf5', 'deeplift-keras2.1.6-weights-only/keras2_conv1d_record_5_model_PQzyq_modelWeights.h5', 'factornet-keras1.1-theano/final_model.hdf5'];

/** File → 'opset N' when written, or the class of the layer the export refuses. */
const EXPECTED: Record<string, string> = {
  'bpnet-keras2.2.4-revcomp/Spi1ProfileModel_rc.h5': 'refused: RevCompConv1D',
  'cnn1d-keras3.1-dotkeras/cnn1d_model.keras': 'opset 13',
  'dl4j-keras1.2.2-tf-vs-theano/embedding_conv1d_flatten_tensorflow_1.h5': 'opset 7',
  'dl4j-keras1.2.2-tf-vs-theano/embedding_conv1d_flatten_theano_1.h5': 'opset 7',
  'dl4j-keras1.2.2-tf-vs-theano/embedding_conv1d_tensorflow_1.h5': 'opset 7',
  'dl4j-keras1.2.2-tf-vs-theano/embedding_conv1d_theano_1.h5': 'opset 7',
  'dl4j-keras2.1.3-cnn1d-flatten/cnn1d_flatten_tf_keras2.h5': 'opset 7',
  'dl4j-keras2.1.3-tf-vs-theano/embedding_conv1d_extended_tensorflow_2.h5': 'opset 7',
  'dl4j-keras2.1.3-tf-vs-theano/embedding_conv1d_extended_theano_2.h5': 'opset 7',
  'dl4j-keras2.1.3-tf-vs-theano/embedding_conv1d_tensorflow_2.h5': 'opset 7',
  'dl4j-keras2.1.3-tf-vs-theano/embedding_conv1d_theano_2.h5': 'opset 7',
  ...Object.fromEntries([18, 19, 20, 21, 22, 23, 24, 26, 28, 30, 32, 34].map((n) => [`dl4j-tfkeras-2.2.4-cnn1d-grid/cnn1d_${n}.h5`, 'opset 7'])),
  'dl4j-tfkeras-2.5-doublecount/cnn_1d_doublecount.h5.h5': 'opset 7',
  'ecg-keras3.13-legacy-h5/ecg_model.h5': 'opset 7',
  'ecg-keras3.6-dotkeras/ecg_model.keras': 'opset 13',
  'factornet-keras1.1-theano/best_model.hdf5': 'refused: TimeDistributed',
  'kapre-tfkeras-2.9-custom/conv1d.h5': 'refused: STFT',
  'kerastcn-keras3.10-custom/tcn_model.keras': 'refused: TCN',
};

function modelFiles(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(WILD)) for (const f of readdirSync(join(WILD, dir))) if (/\.(h5|hdf5|keras)$/i.test(f)) out.push(`${dir}/${f}`);
  return out.filter((f) => !WEIGHTS_ONLY.includes(f)).sort();
}

/** Seeded inputs: unknown steps become 24; Embedding inputs get valid indices. */
function seededInputs(graph: Graph): Tensor[] {
  const rng = new Rng(99);
  return graph.inputs.map((name) => {
    const input = graph.nodes.find((n) => n.name === name)!;
    if (input.op !== 'Input') throw new Error(`input ${name} is not an Input node`);
    const shape = [input.attrs.batchSize ?? 2, ...input.attrs.shape.map((d) => d ?? 24)];
    const count = shape.reduce((a, b) => a * b, 1);
    const consumer = graph.nodes.find((n) => n.inputs.includes(name));
    if (consumer?.op === 'Embedding') {
      const data = Float32Array.from({ length: count }, () => rng.int(0, consumer.attrs.inputDim - 1));
      return { dtype: input.attrs.dtype === 'int32' ? 'int32' : 'float32', shape, data: input.attrs.dtype === 'int32' ? Int32Array.from(data) : data };
    }
    return { dtype: 'float32', shape, data: rng.floats(count) };
  });
}

describe.runIf(corpusAvailable())('real-world models exported to ONNX', async () => {
  const ort = await import('onnxruntime-node');
  const files = modelFiles();

  it('every corpus model has its committed outcome', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const rel of files) {
    it(`${rel}: ${EXPECTED[rel]}`, async () => {
      const { graph } = await loadFile(join(WILD, rel), { backend: rel.includes('theano') ? 'theano' : undefined });
      let result;
      try {
        result = writeOnnx(graph);
      } catch (e) {
        if (!isKconvError(e) || e.code !== 'NOT_REPRESENTABLE') throw e;
        expect(`refused: ${/\(([A-Za-z0-9_]+)\): class/.exec(e.message)?.[1]}`).toBe(EXPECTED[rel]);
        return;
      }
      expect(`opset ${result.opset}`).toBe(EXPECTED[rel]);
      const inputs = seededInputs(graph);
      const session = await ort.InferenceSession.create(result.bytes, { intraOpNumThreads: 1, logSeverityLevel: 3 });
      try {
        const feeds = Object.fromEntries(inputs.map((t, i) => [session.inputNames[i], new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape)]));
        const out = await session.run(feeds);
        runGraph(graph, inputs, { conv1d: conv1dReference }).forEach((want, i) => {
          const got = out[session.outputNames[i]];
          expect(got.dims).toEqual(want.shape);
          const cmp = compareArrays(got.data as Float32Array, want.data as Float32Array, TOLERANCES.close);
          expect(cmp.pass, cmp.message).toBe(true);
        });
      } finally {
        await session.release();
      }
    });
  }
});
