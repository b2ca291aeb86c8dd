/**
 * Every full model of the shared corpus (../shared/corpus/wild: Keras 1.1 and 1.2 with Theano and
 * TensorFlow kernels, Keras 2.1, tf.keras 2.2 to 2.9, Keras 3.1 to 3.13) exported to ONNX. What
 * happens to each file is committed below and asserted: written (with its opset) or refused with
 * NOT_REPRESENTABLE naming the layer kconv cannot run. A written model must run in onnxruntime
 * and agree with kconv's runtime on a seeded input at the `close` tolerance (these files come
 * without Keras's outputs; the golden ONNX tier holds the export to real Keras).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKconvError } from '../../src/errors.js';
import { loadFile } from '../../src/node.js';
import { readNpy } from '../../src/formats/npy.js';
import { writeOnnx } from '../../src/onnx/write.js';
import { toFloat32 } from '../../src/tensor.js';
import { compareArrays, tolerance } from '../../src/verify/tolerance.js';
import { seededInputs } from '../helpers/model-inputs.js';
import { expectAgreesWithRuntime, loadOrt, runOnnx } from '../helpers/onnx.js';
import { CORPUS, corpusAvailable, FIXTURES } from '../helpers/paths.js';

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
  'factornet-keras1.1-theano/best_model.hdf5': 'opset 7',
  'kapre-tfkeras-2.9-custom/conv1d.h5': 'refused: STFT',
  'kerastcn-keras3.10-custom/tcn_model.keras': 'opset 10',
};

function modelFiles(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(WILD)) for (const f of readdirSync(join(WILD, dir))) if (/\.(h5|hdf5|keras)$/i.test(f)) out.push(`${dir}/${f}`);
  return out.filter((f) => !WEIGHTS_ONLY.includes(f)).sort();
}

const ort = corpusAvailable() ? await loadOrt() : null;

describe.runIf(ort !== null)('real-world models exported to ONNX', () => {
  // vitest runs a skipped describe's body while collecting: list the folder only when it exists
  const files = ort !== null ? modelFiles() : [];

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
        expect(`refused: ${/layer '[^']*' \(([A-Za-z0-9_]+)\)/.exec(e.message)?.[1]}`).toBe(EXPECTED[rel]);
        return;
      }
      expect(`opset ${result.opset}`).toBe(EXPECTED[rel]);
      await expectAgreesWithRuntime(ort!, result.bytes, graph, seededInputs(graph, 99));
    });
  }

  it('factornet (Keras 1.1, Theano: TimeDistributed(Dense), Bidirectional LSTM) exported to ONNX matches real Keras 1.2.2', async () => {
    // inputs and Keras 1.2.2's outputs: fixtures/wild/<dir>/<model> (fixtures/generate/wild_expected.py)
    const expectedDir = join(FIXTURES, 'wild', 'factornet-keras1.1-theano', 'best_model');
    const info = JSON.parse(readFileSync(join(expectedDir, 'case.json'), 'utf8'));
    const npy = (f: string) => readNpy(new Uint8Array(readFileSync(join(expectedDir, f))), f);
    const { graph } = await loadFile(join(WILD, 'factornet-keras1.1-theano/best_model.hdf5'), { backend: info.backend });
    const outputs = await runOnnx(ort!, writeOnnx(graph).bytes, info.inputs.map((i: { file: string }) => npy(i.file)));
    expect(outputs.length).toBe(info.expected.length);
    info.expected.forEach((e: { file: string }, i: number) => {
      const cmp = compareArrays(outputs[i].data, toFloat32(npy(e.file)), tolerance(info.tolerance));
      expect(cmp.pass, cmp.message).toBe(true);
    });
  });
});
