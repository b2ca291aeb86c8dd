import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { parseJsonDocument, readMetadata, readModelDocument, readShardIndex, v3Generation } from '../../src/keras/read/v3-config.js';

const conv = (module: string, registered: string | null) => ({ module, class_name: 'Conv1D', config: { name: 'conv1d' }, registered_name: registered });

describe('config.json / to_json() documents', () => {
  it('keeps compile_config as the training config, and drops an empty one', () => {
    const compiled = readModelDocument({ class_name: 'Sequential', config: { layers: [] }, compile_config: { loss: 'mse' } }, 'config.json');
    expect(compiled.trainingConfig).toEqual({ loss: 'mse' });
    expect(readModelDocument({ class_name: 'Sequential', config: { layers: [] }, compile_config: {} }, 'config.json').trainingConfig).toBeUndefined();
  });

  it("reads Keras 2's to_json keras_version and backend", () => {
    const doc = readModelDocument({ class_name: 'Sequential', config: { layers: [] }, keras_version: '2.15.0', backend: 'tensorflow' }, 'architecture');
    expect([doc.kerasVersion, doc.backend]).toEqual(['2.15.0', 'tensorflow']);
  });

  it('recognises the Keras 3.0.0/3.0.1 module quirk and only that', () => {
    // As pip's keras 3.0.1 wrote it (the 3.0 git tree would say keras.layers.convolutional.conv1d).
    const quirk = { module: 'keras.src.models.sequential', class_name: 'Sequential', registered_name: 'Sequential', config: { layers: [conv('keras.src.layers.convolutional.conv1d', 'Conv1D')] } };
    const gitTree = { ...quirk, module: 'keras.models.sequential', config: { layers: [conv('keras.layers.convolutional.conv1d', 'Conv1D')] } };
    expect(readModelDocument(gitTree, 'config.json').moduleQuirk).toBe(true);
    const fixed = { module: 'keras', class_name: 'Sequential', registered_name: null, config: { layers: [conv('keras.layers', null)] } };
    const functional = { module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional', config: { layers: [conv('keras.layers', null)] } };
    expect(readModelDocument(quirk, 'config.json').moduleQuirk).toBe(true);
    expect(readModelDocument(fixed, 'config.json').moduleQuirk).toBe(false);
    expect(readModelDocument(functional, 'config.json').moduleQuirk).toBe(false);
    // tf.keras 2.13+ writes Functional's private module too: not the quirk.
    const tfKeras = { ...functional, module: 'keras.src.engine.functional' };
    expect(readModelDocument(tfKeras, 'config.json').moduleQuirk).toBe(false);
  });

  it('says what is wrong with a malformed document', () => {
    expect(() => readModelDocument([], 'config.json')).toThrow(/JSON object describing the model, found an array/);
    expect(() => readModelDocument({ config: {} }, 'config.json')).toThrow(/'class_name'/);
    expect(() => readModelDocument({ class_name: 'Sequential', config: 3 }, 'config.json')).toThrow(/'config' object/);
    const e = (() => {
      try {
        parseJsonDocument('{"a": ', 'config.json');
      } catch (err) {
        return err as KconvError;
      }
    })();
    expect(e?.code).toBe('BAD_CONFIG');
    expect(e?.where).toBe('config.json');
  });

  it('reads metadata.json and the generation it implies', () => {
    const m = readMetadata({ keras_version: '3.6.0', date_saved: '2024-11-16@22:23:07' });
    expect(m.kerasVersion).toBe('3.6.0');
    expect(v3Generation('3.6.0', {})).toBe('keras3');
    expect(v3Generation('2.13.1', {})).toBe('tf-keras');
    expect(v3Generation(undefined, { config: { layers: [{ config: { batch_shape: [null, 3] } }] } })).toBe('keras3');
    expect(v3Generation(undefined, { config: { layers: [] } })).toBe('tf-keras');
  });

  it('lists the shards of a weights index in first-use order and refuses path-like names', () => {
    expect(readShardIndex({ weight_map: { '/a/vars': ['s0.h5', 's1.h5'], '/b/vars': 's1.h5', '/c/vars': ['s2.h5'] } })).toEqual(['s0.h5', 's1.h5', 's2.h5']);
    expect(() => readShardIndex({ weight_map: { '/a/vars': '../etc/x.h5' } })).toThrow(/shard file name/);
    expect(() => readShardIndex({})).toThrow(/weight_map/);
  });
});
