/**
 * Every config key kconv's Keras 3 writer emits is one that the target Keras 3 minor takes: the
 * first minor whose constructor accepts each key was read from the keras wheel of every Keras 3
 * minor (fixtures/generate/keras3_key_versions.py → fixtures/keras3-key-versions.json,
 * docs/keras3-key-versions.md). A key written for an older minor makes the whole file unloadable
 * there ("unexpected keyword argument"). Keys the writer adds with their default values (the
 * source, Keras 2.15, has none of them) appear from the minor whose get_config writes them, as
 * that Keras's own files do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { loadFile, saveWithWarnings } from '../../src/node.js';
import { FIXTURES } from '../helpers/paths.js';

interface KeyFact {
  class: string;
  key: string;
  init: number | null;
  getConfig: number | null;
}

const FACTS = JSON.parse(readFileSync(join(FIXTURES, 'keras3-key-versions.json'), 'utf8')) as { wheels: string[]; keys: KeyFact[] };
const NEWEST = Math.max(...FACTS.wheels.map((w) => Number(w.split('.')[1])));

/** The wheel-fact class a config object answers to (Conv1D's keys live on BaseConv...). */
function factClass(className: string): string {
  if (['Conv1D', 'SeparableConv1D', 'DepthwiseConv1D'].includes(className)) return 'BaseConv';
  if (className === 'Conv1DTranspose') return 'BaseConvTranspose';
  if (['GlorotUniform', 'GlorotNormal', 'HeUniform', 'HeNormal', 'LecunUniform', 'LecunNormal'].includes(className)) return className in CLASSES ? className : 'VarianceScaling';
  return className;
}
const CLASSES = Object.fromEntries(FACTS.keys.map((k) => [k.class, true]));

/** Every `{class_name, config}` object in a serialized model (layers and initializers). */
function objects(value: unknown, out: { className: string; config: Record<string, unknown> }[] = []): typeof out {
  if (Array.isArray(value)) value.forEach((v) => objects(v, out));
  else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.class_name === 'string' && o.config !== null && typeof o.config === 'object') out.push({ className: o.class_name, config: o.config as Record<string, unknown> });
    Object.values(o).forEach((v) => objects(v, out));
  }
  return out;
}

const SOURCES = ['model-embedding--h5', 'model-channels-first-stack--h5', 'model-pad-crop-up-ln--h5', 'model-seq-classifier--h5', 'model-tcn--h5'];

describe('Keras 3 config keys against the Keras 3 wheels', () => {
  it('the facts cover every Keras 3 minor from 3.0 to the newest the target table knows', () => {
    expect(FACTS.wheels).toEqual(Array.from({ length: NEWEST + 1 }, (_, i) => `3.${i}.0`));
    expect(FACTS.keys.find((k) => k.class === 'Dense' && k.key === 'quantization_config')).toMatchObject({ init: 13, getConfig: 13 });
  });

  it.each(SOURCES)('%s: each minor gets only keys it takes, and default keys from the minor that writes them', async (source) => {
    const model = await loadFile(join(FIXTURES, 'cases', 'tf2.15', source, 'model.h5'));
    const firstWritten = new Map<string, number>();
    for (let minor = 0; minor <= NEWEST; minor++) {
      const { bytes } = await saveWithWarnings(model, { format: 'keras-v3', targetVersion: `3.${minor}` });
      const config = JSON.parse(strFromU8(unzipSync(bytes)['config.json']));
      for (const { className, config: c } of objects(config)) {
        for (const fact of FACTS.keys.filter((k) => k.class === factClass(className))) {
          if (!(fact.key in c)) continue;
          expect(fact.init, `${className}.${fact.key} written for Keras 3.${minor}, which no Keras 3 takes`).not.toBeNull();
          expect(minor, `${className}.${fact.key} written for Keras 3.${minor}; Keras takes it from 3.${fact.init}`).toBeGreaterThanOrEqual(fact.init!);
          const k = `${fact.class}.${fact.key}`;
          if (!firstWritten.has(k)) firstWritten.set(k, minor);
        }
      }
    }
    for (const [k, minor] of firstWritten) {
      const fact = FACTS.keys.find((f) => `${f.class}.${f.key}` === k)!;
      if (fact.getConfig !== null) expect(minor, `${k}: first written for 3.${minor}, Keras writes it from 3.${fact.getConfig}`).toBe(fact.getConfig);
    }
  }, 120_000);
});
