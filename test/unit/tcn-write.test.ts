/**
 * keras-tcn's TCN written back as the TCN layer (src/keras/layers/tcn-write.ts), checked against
 * the files real keras-tcn 3.5.7 wrote (fixtures/cases/tcn-*): the layer entries of the model
 * config, the legacy .h5 weight names in their order, the Keras 3 weights tree (every group, its
 * `vars` name and every dataset), weights bit for bit; and the targets that cannot hold it.
 */
import { unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHdf5, type Hdf5File } from '../../src/formats/hdf5.js';
import type { Graph } from '../../src/ir/graph.js';
import { readKerasH5 } from '../../src/keras/read/h5.js';
import { readKerasArchive } from '../../src/keras/read/v3-archive.js';
import { saveWithReport } from '../../src/keras/write/save.js';
import { parseTarget } from '../../src/keras/targets.js';
import { tensorsIdentical } from '../../src/tensor.js';
import { FIXTURES } from '../helpers/paths.js';

const CASES = {
  'tcn-tf2.13': join(FIXTURES, 'cases', 'tcn-tf2.13', 'model-keras-tcn--h5', 'model.h5'),
  'tcn-tf2.15': join(FIXTURES, 'cases', 'tcn-tf2.15', 'model-keras-tcn--h5', 'model.h5'),
  'tcn-keras3': join(FIXTURES, 'cases', 'tcn-keras3', 'model-keras-tcn--keras', 'model.keras'),
} as const;
type Env = keyof typeof CASES;
const TARGET_OF: Record<Env, string> = { 'tcn-tf2.13': 'tf-keras-2.13', 'tcn-tf2.15': 'tf-keras-2.15', 'tcn-keras3': 'keras-3' };

const bytesOf = (env: Env) => new Uint8Array(readFileSync(CASES[env]));
async function graphOf(env: Env): Promise<Graph> {
  return env === 'tcn-keras3' ? readKerasArchive(bytesOf(env), { filename: 'model.keras' }) : readKerasH5(bytesOf(env), { filename: 'model.h5' });
}

type Layer = { class_name: string; config: Record<string, unknown>; [k: string]: unknown };
const tcnLayers = (config: { config: { layers: Layer[] } }) => config.config.layers.filter((l) => /TCN/.test(l.class_name));

/** Every group (with its `name` attribute) and dataset under `root`, with the datasets' tensors. */
function tree(f: Hdf5File, root = ''): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string) => {
    for (const k of f.keys(path || '/')) {
      const p = path ? `${path}/${k}` : k;
      if (f.isGroup(p)) {
        out.set(p, `group ${f.attr(p, 'name') ?? ''}`);
        walk(p);
      } else out.set(p, `dataset [${f.datasetInfo(p).shape}]`);
    }
  };
  walk(root);
  return out;
}

describe('TCN written back as the keras-tcn layer', () => {
  for (const env of ['tcn-tf2.13', 'tcn-tf2.15'] as const) {
    it(`${env} → ${TARGET_OF[env]} keras-h5: keras-tcn's class, config, weight names and order, as real keras-tcn wrote them`, async () => {
      const graph = await graphOf(env);
      const r = await saveWithReport(graph, { format: 'keras-h5', target: TARGET_OF[env] });
      const src = await openHdf5(bytesOf(env), 'source.h5');
      const out = await openHdf5(r.bytes, 'written.h5');
      const srcConfig = JSON.parse(src.stringAttr('', 'model_config')!);
      const outConfig = JSON.parse(out.stringAttr('', 'model_config')!);
      expect(tcnLayers(outConfig)).toEqual(tcnLayers(srcConfig));
      for (const layer of ['tcn_a', 'tcn_b']) {
        const names = src.chunkedAttr(`model_weights/${layer}`, 'weight_names');
        expect(out.chunkedAttr(`model_weights/${layer}`, 'weight_names')).toEqual(names);
        for (const n of names as string[]) {
          expect(tensorsIdentical(out.dataset(`model_weights/${layer}/${n}`), src.dataset(`model_weights/${layer}/${n}`)), n).toBe(true);
        }
      }
      expect(r.warnings.filter((w) => /keras-tcn's TCN: loading the file needs the keras-tcn package/.test(w))).toHaveLength(2);
    });
  }

  it('tcn-keras3 → keras-3 keras-v3: the TCN entries of config.json and the whole weights tree are keras-tcn\'s', async () => {
    const graph = await graphOf('tcn-keras3');
    const r = await saveWithReport(graph, { format: 'keras-v3', target: 'keras-3' });
    const src = unzipSync(bytesOf('tcn-keras3'));
    const out = unzipSync(r.bytes);
    const parse = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
    // Keras's shared-object bookkeeping (an id per Python object) is not part of the layer
    const noSharedIds = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x) => (k === 'shared_object_id' ? undefined : x)));
    expect(tcnLayers(parse(out['config.json']))).toEqual(noSharedIds(tcnLayers(parse(src['config.json']))));
    const srcW = await openHdf5(src['model.weights.h5'], 'source.weights.h5');
    const outW = await openHdf5(out['model.weights.h5'], 'written.weights.h5');
    for (const layer of ['layers/tcn', 'layers/tcn_1']) {
      const want = tree(srcW, layer);
      expect(new Map([...tree(outW, layer)].sort())).toEqual(new Map([...want].sort()));
      for (const [p, kind] of want) if (kind.startsWith('dataset')) expect(tensorsIdentical(outW.dataset(p), srcW.dataset(p)), p).toBe(true);
    }
  });

  it('a tf.keras TCN written for Keras 3 has the tree keras-tcn writes there', async () => {
    const r = await saveWithReport(await graphOf('tcn-tf2.15'), { format: 'keras-v3-weights', target: 'keras-3' });
    const srcW = await openHdf5(unzipSync(bytesOf('tcn-keras3'))['model.weights.h5'], 'source.weights.h5');
    const outW = await openHdf5(r.bytes, 'written.weights.h5');
    const shapes = (t: Map<string, string>) => [...t].filter(([, k]) => k.startsWith('dataset') || k.startsWith('group')).sort();
    for (const layer of ['layers/tcn', 'layers/tcn_1']) expect(shapes(tree(outW, layer))).toEqual(shapes(tree(srcW, layer)));
  });

  it('refuses the targets keras-tcn 3.5.7 does not load in or is not measured in, and Keras 3 legacy .h5, naming the layer', async () => {
    const graph = await graphOf('tcn-tf2.15');
    for (const [target, format, why] of [
      ['keras-2.2.4', 'keras-h5', /tf\.keras 2\.13-2\.15 and Keras 3 only.*oldest target that can express it is tf-keras-2\.13/],
      ['tf-keras-2.2', 'keras-h5', /oldest target that can express it is tf-keras-2\.13/],
      ['tf_keras', 'keras-h5-weights', /Keras 3 from TF 2\.16, not tf_keras/],
      ['keras-3.0', 'keras-h5-weights', /legacy \.h5 for Keras 3/],
      ['keras-3', 'keras-h5', /legacy \.h5 for Keras 3/],
    ] as const) {
      const e = await saveWithReport(graph, { format, target: parseTarget(target) }).catch((x) => x);
      expect(e.code, `${target} ${format}`).toBe('NOT_REPRESENTABLE');
      expect(e.message).toMatch(/^layer 'tcn_a' \(TCN\)/);
      expect(e.message).toMatch(why);
    }
  });

  it('writes changed weights under their keras-tcn names, refuses parts its config does not build and keys keras-tcn does not take', async () => {
    const tuned = await graphOf('tcn-tf2.15');
    const key = tuned.nodes.find((n) => n.name === 'tcn_b/residual_block_1/conv1D_0')!.weights.bias;
    const t = tuned.weights.get(key)!;
    const data = new Float32Array(t.data as Float32Array);
    data[0] += 1;
    tuned.weights.set(key, { ...t, data });
    const r = await saveWithReport(tuned, { format: 'keras-h5', target: 'tf-keras-2.15' });
    const written = (await openHdf5(r.bytes, 'written.h5')).dataset('model_weights/tcn_b/tcn_b/residual_block_1/conv1D_0/bias:0');
    expect(tensorsIdentical(written, tuned.weights.get(key)!)).toBe(true);

    const changed = await graphOf('tcn-tf2.15');
    const act = changed.nodes.find((n) => n.name === 'tcn_a/residual_block_2/Act_Conv_Blocks')!;
    if (act.op === 'Activation') act.attrs = { activation: { fn: 'relu' } };
    const e = await saveWithReport(changed, { format: 'keras-h5', target: 'tf-keras-2.15' }).catch((x) => x);
    expect(e.code).toBe('NOT_REPRESENTABLE');
    expect(e.message).toMatch(/layer 'tcn_a' \(TCN\) uses a TCN whose parts differ from what its config builds \(part 'tcn_a\/residual_block_2\/Act_Conv_Blocks' is not the Activation its config builds\)/);

    const hardSilu = await graphOf('tcn-keras3');
    for (const n of hardSilu.nodes) {
      if (n.keras?.layerName !== 'tcn_a') continue;
      n.keras.config = { ...n.keras.config, activation: 'hard_silu' };
      if (n.op === 'Activation') n.attrs = { activation: { fn: 'hard_silu' } };
    }
    const e3 = await saveWithReport(hardSilu, { format: 'keras-h5', target: 'tf-keras-2.15' }).catch((x) => x);
    expect(e3.code).toBe('NOT_REPRESENTABLE');
    expect(e3.message).toMatch(/^layer 'tcn_a' \(Activation\) uses activation 'hard_silu'.*keras-3\.0/);
    expect((await saveWithReport(hardSilu, { format: 'keras-v3', target: 'keras-3' })).bytes.length).toBeGreaterThan(0);

    const extra = await graphOf('tcn-tf2.15');
    for (const n of extra.nodes) if (n.keras?.layerName === 'tcn_a') n.keras.config = { ...n.keras.config, use_weight_norm: false };
    const e2 = await saveWithReport(extra, { format: 'keras-v3', target: 'keras-3' }).catch((x) => x);
    expect(e2.code).toBe('NOT_REPRESENTABLE');
    expect(e2.message).toMatch(/TCN config keys keras-tcn 3\.5\.7 does not take \(use_weight_norm\)/);
  });
});
