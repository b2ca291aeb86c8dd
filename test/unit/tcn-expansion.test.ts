/**
 * keras-tcn's TCN expanded into kconv's own ops (src/keras/layers/tcn.ts), run and compared with
 * real keras-tcn 3.5.7 under tf.keras 2.13, 2.15 and Keras 3.15 (fixtures/cases/tcn-*). The test
 * puts the expansion in place of the TCN nodes the readers load (as Unsupported, weights kept).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from '../../src/index.js';
import { identifyTcnWeights, parseTcnConfig } from '../../src/keras/layers/tcn.js';
import { compareWithKeras, loadCase, type GoldenCase } from '../helpers/cases.js';
import { caught } from '../helpers/errors.js';
import { FIXTURES } from '../helpers/paths.js';

function tcnCases(): GoldenCase[] {
  const out: GoldenCase[] = [];
  for (const env of readdirSync(join(FIXTURES, 'cases')).filter((e) => e.startsWith('tcn-'))) {
    for (const d of readdirSync(join(FIXTURES, 'cases', env))) {
      if (existsSync(join(FIXTURES, 'cases', env, d, 'case.json'))) out.push(loadCase({ id: d, env, format: '', dir: join('cases', env, d), files: {} }));
    }
  }
  return out;
}

describe('keras-tcn TCN expanded into kconv ops vs real keras-tcn', () => {
  const cases = tcnCases();
  it('has a case from each of the three keras-tcn environments', () => {
    expect(new Set(cases.map((c) => c.json.env))).toEqual(new Set(['tcn-tf2.13', 'tcn-tf2.15', 'tcn-keras3']));
  });
  for (const c of cases) {
    it(`${c.json.env} ${c.json.format} (Keras ${c.json.versions.keras}): layer norm + tanh + skips, then batch norm + same padding + 2 stacks + middle step`, async () => {
      const model = await load(c.bytes(c.json.files.model!), { filename: c.json.files.model });
      expect(model.graph.nodes.some((n) => n.op === 'Unsupported')).toBe(false);
      const out = await model.predict(c.inputs());
      const r = compareWithKeras(c, out);
      expect(r.message ?? '').toBe('');
      expect(r.pass).toBe(true);
    });
  }
});

describe('TCN config and weight names', () => {
  it('names Keras 2 and Keras 3 weights alike', () => {
    const k2 = identifyTcnWeights(['tcn/residual_block_1/norm_1/moving_variance:0', 'tcn/residual_block_0/matching_conv1D/bias:0'], 'batch', 'w');
    expect([...k2.values()]).toEqual([
      { block: 1, part: 'norm_1', role: 'moving_variance' },
      { block: 0, part: 'matching_conv1D', role: 'bias' },
    ]);
    const k3 = identifyTcnWeights(
      ['residual_block_0/layer_norm_layers/layer_normalization_1/vars/1', 'residual_block_0/layer_norm_layers/layer_normalization/vars/0', 'residual_block_2/conv1D_1/vars/0'],
      'layer',
      'w',
    );
    expect([...k3.values()]).toEqual([
      { block: 0, part: 'norm_1', role: 'beta' },
      { block: 0, part: 'norm_0', role: 'gamma' },
      { block: 2, part: 'conv1D_1', role: 'kernel' },
    ]);
  });
  it('refuses configs keras-tcn itself refuses, naming the key', () => {
    expect(caught(() => parseTcnConfig({ padding: 'valid' }, 'keras3', 'layer tcn')).message).toMatch(/padding 'causal' or 'same'/);
    expect(caught(() => parseTcnConfig({ use_batch_norm: true, use_layer_norm: true }, 'keras3', 'layer tcn')).message).toMatch(/at most one/);
    expect(caught(() => parseTcnConfig({ nb_filters: [4, 5], dilations: [1, 2] }, 'keras3', 'layer tcn')).message).toMatch(/same nb_filters/);
  });
});
