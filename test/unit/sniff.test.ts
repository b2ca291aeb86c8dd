import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/formats/npy.js';
import { hdf5SignatureOffset, sniffFormat } from '../../src/formats/sniff.js';
import { float32 } from '../../src/tensor.js';
import { CORPUS, corpusAvailable, FIXTURES } from '../helpers/paths.js';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function bytesWith(length: number, at: number, signature: number[]): Uint8Array {
  const b = new Uint8Array(length);
  b.set(signature, at);
  return b;
}

describe('sniffFormat', () => {
  it('recognises HDF5 at offset 0 and after a user block', () => {
    expect(sniffFormat(bytesWith(2048, 0, HDF5_SIGNATURE))).toBe('hdf5');
    expect(sniffFormat(bytesWith(4096, 1024, HDF5_SIGNATURE))).toBe('hdf5');
    expect(hdf5SignatureOffset(bytesWith(4096, 1024, HDF5_SIGNATURE))).toBe(1024);
    expect(sniffFormat(bytesWith(4096, 100, HDF5_SIGNATURE))).toBe('unknown');
  });

  it('recognises zip archives, including empty ones', () => {
    expect(sniffFormat(zipSync({ 'config.json': strToU8('{}') }))).toBe('zip');
    expect(sniffFormat(zipSync({}))).toBe('zip');
  });

  it('recognises .npy', () => {
    expect(sniffFormat(writeNpy(float32([2], [1, 2])))).toBe('npy');
  });

  it('recognises a .kir flatbuffer by its file identifier', () => {
    const b = new Uint8Array(64);
    b.set(strToU8('KIR1'), 4);
    expect(sniffFormat(b)).toBe('kir');
  });

  it('recognises a TF checkpoint index by the SSTable magic in its footer', () => {
    const b = new Uint8Array(100);
    b.set([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb], 92);
    expect(sniffFormat(b)).toBe('tf-index');
  });

  it('recognises JSON (architecture files, sharded weight indexes)', () => {
    expect(sniffFormat(strToU8('\ufeff  \n{"class_name": "Sequential"}'))).toBe('json');
    expect(sniffFormat(strToU8('[1, 2]'))).toBe('unknown');
  });

  it('says unknown for anything else, including empty input', () => {
    expect(sniffFormat(new Uint8Array(0))).toBe('unknown');
    expect(sniffFormat(strToU8('PK'))).toBe('unknown');
  });

  it('agrees with the npy fixtures written by NumPy', () => {
    const files = readdirSync(join(FIXTURES, 'npy')).filter((f) => f.endsWith('.npy'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(sniffFormat(readFileSync(join(FIXTURES, 'npy', f))), f).toBe('npy');
  });

  it.runIf(corpusAvailable())('sniffs every real-world file by its bytes, whatever its extension', () => {
    const expected: Record<string, string> = { '.h5': 'hdf5', '.hdf5': 'hdf5', '.keras': 'zip', '.json': 'json' };
    let checked = 0;
    for (const dir of readdirSync(join(CORPUS, 'wild'))) {
      for (const f of readdirSync(join(CORPUS, 'wild', dir))) {
        const ext = f.slice(f.lastIndexOf('.'));
        if (!(ext in expected)) continue;
        const bytes = readFileSync(join(CORPUS, 'wild', dir, f));
        const got = sniffFormat(bytes);
        // A '.keras' that is really HDF5 (they exist in the wild) is HDF5 by its bytes.
        if (ext === '.keras' && got === 'hdf5') continue;
        expect(got, `${dir}/${f}`).toBe(expected[ext]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
