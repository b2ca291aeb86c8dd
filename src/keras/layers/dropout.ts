/**
 * Layers that are the identity at inference: Dropout, SpatialDropout1D, GaussianNoise,
 * GaussianDropout, AlphaDropout, ActivityRegularization. Written back as the class they were
 * (their rate, seed... carried; Keras 1's `p` / `sigma` as `rate` / `stddev`), or as Dropout(0)
 * when the graph has no Keras class for them.
 */
import type { JsonObject } from '../emit/objects.js';
import { dtypeName } from '../emit/objects.js';
import { isKeras3 } from '../targets.js';
import { codec, mapped, sourceConfig, type ExtraKeys } from './codec.js';

/**
 * GaussianNoise / GaussianDropout `seed`: unknown to standalone Keras 2.3.1 and to the tf.keras of
 * TF 1.13 and 2.0, known to TF 2.12 (measured; docs/writers.md, "Keys older Kerases lack"). A null
 * seed is then dropped silently, a set one with a warning (it does not change inference).
 */
const NOISE_SEED: ExtraKeys['keras2Since'] = { seed: { tfkeras: 12 } };

const EXTRAS: Record<string, ExtraKeys> = {
  Dropout: { keras2: ['rate', 'noise_shape', 'seed'], keras3: ['rate', 'noise_shape', 'seed'] },
  SpatialDropout1D: { keras2: ['rate', 'noise_shape', 'seed'], keras3: ['rate', 'seed'], defaults: { keras2: { noise_shape: null, seed: null } } },
  GaussianNoise: { keras2: ['stddev', 'seed'], keras3: ['stddev', 'seed'], keras2Since: NOISE_SEED },
  GaussianDropout: { keras2: ['rate', 'seed'], keras3: ['rate', 'seed'], keras2Since: NOISE_SEED },
  AlphaDropout: { keras2: ['rate', 'noise_shape', 'seed'], keras3: ['rate', 'noise_shape', 'seed'] },
  ActivityRegularization: { keras2: ['l1', 'l2'], keras3: ['l1', 'l2'] },
};

export const dropoutCodec = codec({
  classes: Object.keys(EXTRAS),
  ops: ['Identity'],
  read(className, _cfg, w) {
    w.none();
    return mapped('Identity', { kind: className }, {});
  },
  write: {
    Identity(node, ctx) {
      const src = sourceConfig(node);
      const known = node.keras?.className ?? node.attrs.kind;
      const className = known in EXTRAS ? known : 'Dropout';
      const body: JsonObject = {};
      // Keras 1 names the rate `p` and GaussianNoise's stddev `sigma`: carried under the Keras 2/3 keys
      if (src.rate === undefined && typeof src.p === 'number' && EXTRAS[className].keras2.includes('rate')) body.rate = src.p;
      if (className === 'GaussianNoise' && src.stddev === undefined && typeof src.sigma === 'number') body.stddev = src.sigma;
      if (className === 'Dropout' && src.rate === undefined && body.rate === undefined) body.rate = 0;
      if (className !== 'SpatialDropout1D' || !isKeras3(ctx.target)) return { className, body };
      // Keras 3's SpatialDropout1D takes (rate, seed, name, dtype) only, dtype as a plain string.
      const adjust = (config: JsonObject) => {
        delete config.trainable;
        config.dtype = dtypeName(src.dtype) ?? 'float32';
      };
      return { className, body, adjust };
    },
  },
  extras: EXTRAS,
});
