/** The one vocabulary of format names (src/model-formats.ts) and the old names it still accepts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseFormat, FIXTURE_FORMAT_ALIASES, MODEL_FORMATS, resolveWriteFormat, WRITE_FORMATS } from '../../src/model-formats.js';
import { extensionFor, SAVE_FORMATS } from '../../src/api/save.js';
import { FIXTURES } from '../helpers/paths.js';

describe('format names', () => {
  it('every writable format has an extension and is what save and kconv convert --to offer', () => {
    expect(SAVE_FORMATS).toEqual(WRITE_FORMATS);
    for (const f of WRITE_FORMATS) {
      expect(MODEL_FORMATS[f].writable, f).toBe(true);
      expect(extensionFor(f), f).toBe(MODEL_FORMATS[f].extension);
    }
    expect(Object.entries(MODEL_FORMATS).filter(([, i]) => i.writable).map(([f]) => f).sort()).toEqual([...WRITE_FORMATS].sort());
  });

  it('onnx is written (docs/onnx.md), with the .onnx extension', () => {
    expect(MODEL_FORMATS.onnx.writable).toBe(true);
    expect(resolveWriteFormat('onnx', true)).toEqual({ format: 'onnx' });
    expect(extensionFor('onnx')).toBe('.onnx');
  });

  it("kconv 0.1's --to names resolve with a warning; weights follows the target generation", () => {
    expect(resolveWriteFormat('keras-v3', true)).toEqual({ format: 'keras-v3' });
    expect(resolveWriteFormat('keras3', true)).toEqual({ format: 'keras-v3', warning: "format 'keras3' is deprecated: use 'keras-v3'" });
    expect(resolveWriteFormat('keras2', true)?.format).toBe('keras-h5');
    expect(resolveWriteFormat('weights', true)?.format).toBe('keras-v3-weights');
    expect(resolveWriteFormat('weights', false)?.format).toBe('keras-h5-weights');
    expect(extensionFor('weights', '2.15')).toBe('.h5');
    expect(extensionFor('weights', 'tf_keras')).toBe('.h5');
    expect(extensionFor('weights')).toBe('.weights.h5');
    expect(resolveWriteFormat('h5', true)).toBeUndefined();
    expect(resolveWriteFormat('toString', true)).toBeUndefined();
  });

  it('case.json short names map into the vocabulary; names already in it stay', () => {
    for (const [short, name] of Object.entries(FIXTURE_FORMAT_ALIASES)) {
      expect(Object.hasOwn(MODEL_FORMATS, name), short).toBe(true);
      expect(caseFormat(short)).toBe(name);
    }
    expect(caseFormat('keras-v3-weights')).toBe('keras-v3-weights');
    expect(caseFormat('none')).toBe('none');
  });

  it('every committed fixture case has a format the vocabulary knows (or none: Keras itself failed)', () => {
    const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { cases: { format: string }[] };
    const unknown = new Set(manifest.cases.map((c) => c.format).filter((f) => f !== 'none' && !Object.hasOwn(MODEL_FORMATS, caseFormat(f))));
    expect(manifest.cases.length).toBeGreaterThan(100);
    expect([...unknown]).toEqual([]);
  });
});
