import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openCheckpoint } from '../../src/tf/checkpoint.js';
import { resolveCheckpoint } from '../../src/node/checkpoint-files.js';
import { f32bytes, writeBundle } from '../helpers/tf-writer.js';
import { caught } from '../helpers/errors.js';

const root = mkdtempSync(join(tmpdir(), 'kconv-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));


/** Writes a 2-shard V2 checkpoint `<dir>/<name>` and returns its prefix. */
function writeCheckpoint(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const files = writeBundle(
    [
      { name: 'a', dtype: 1, shape: [2], bytes: f32bytes([1, 2]), shard: 0 },
      { name: 'b', dtype: 1, shape: [1], bytes: f32bytes([3]), shard: 1 },
    ],
    { numShards: 2 },
  );
  const prefix = join(dir, name);
  writeFileSync(`${prefix}.index`, files.index);
  files.shards.forEach((s, i) => writeFileSync(`${prefix}.data-0000${i}-of-00002`, s));
  return prefix;
}

describe('naming a checkpoint on disk', () => {
  const prefix = writeCheckpoint(join(root, 'run'), 'model.ckpt-1000');

  test.each([
    ['its prefix', prefix],
    ['its .index file', `${prefix}.index`],
    ['one of its data files', `${prefix}.data-00001-of-00002`],
  ])('by %s', (_what, path) => {
    const r = resolveCheckpoint(path);
    expect(r.kind).toBe('v2');
    expect(r.prefix).toBe(prefix);
    expect(r.shards.every((s) => s !== undefined)).toBe(true);
    expect(Array.from(openCheckpoint(r).tensor('b').data as Float32Array)).toEqual([3]);
  });

  test('by its directory, through the checkpoint state file (relative path)', () => {
    writeFileSync(join(root, 'run', 'checkpoint'), 'model_checkpoint_path: "model.ckpt-1000"\nall_model_checkpoint_paths: "model.ckpt-1000"\n');
    expect(resolveCheckpoint(join(root, 'run')).prefix).toBe(prefix);
  });

  test('by a directory holding exactly one .index, without a state file', () => {
    const p = writeCheckpoint(join(root, 'single'), 'weights');
    expect(resolveCheckpoint(join(root, 'single')).prefix).toBe(p);
  });

  test('a state file pointing nowhere is IO_ERROR naming the path and the file beside it', () => {
    const dir = join(root, 'moved');
    const p = writeCheckpoint(dir, 'ckpt');
    writeFileSync(join(dir, 'checkpoint'), 'model_checkpoint_path: "/somewhere/else/ckpt"\n');
    const e = caught(() => resolveCheckpoint(dir));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toContain('/somewhere/else/ckpt');
    expect(e.message).toContain(p);
  });

  test('a missing data shard is a warning, and reading a tensor stored there is IO_ERROR', () => {
    const dir = join(root, 'partial');
    const p = writeCheckpoint(dir, 'm');
    rmSync(`${p}.data-00001-of-00002`);
    const r = resolveCheckpoint(p);
    expect(r.warnings.join(' ')).toContain('data-00001-of-00002');
    const b = openCheckpoint(r);
    expect(Array.from(b.tensor('a').data as Float32Array)).toEqual([1, 2]);
    expect(caught(() => b.tensor('b')).code).toBe('IO_ERROR');
  });

  test('nothing there is IO_ERROR saying what was looked for', () => {
    const e = caught(() => resolveCheckpoint(join(root, 'nope', 'model.ckpt')));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toContain('.index');
  });
});
