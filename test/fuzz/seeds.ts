/**
 * The inputs the fuzzer mutates: every model file in `fixtures/cases` (when the fixtures branch
 * has committed some), every file in `../shared/corpus`, a few repo test files, and files kconv's
 * own writers produce from loadable seeds (so that `.keras`, `.weights.h5` and `.kir` have seeds
 * even before their fixtures exist). The list is deterministic: same files, same order.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { load } from '../../src/index.js';
import { save } from '../../src/api/save.js';
import type { WriteFormat } from '../../src/model-formats.js';
import { writeKir } from '../../src/ir/kir.js';
import { CORPUS, FIXTURES, ROOT } from '../helpers/paths.js';
import { entryContent, parseZipEntries } from './bytes-util.js';

/** How a seed is handed to kconv; decides which mutations apply and how the target loads it. */
export type SeedFormat = 'h5' | 'h5-weights+json' | 'keras' | 'weights-h5' | 'kir' | 'tf-ckpt' | 'zip';

export const SEED_FORMATS: readonly SeedFormat[] = ['h5', 'h5-weights+json', 'keras', 'weights-h5', 'kir', 'tf-ckpt', 'zip'];

/** How often each format is picked (relative): the formats with the most reader code get the most cases. */
export const FORMAT_WEIGHTS: Record<SeedFormat, number> = { h5: 3, 'h5-weights+json': 1, keras: 3, 'weights-h5': 2, kir: 2, 'tf-ckpt': 2, zip: 1 };

export type FileRole = 'model' | 'architecture' | 'index' | 'shard' | 'meta' | 'other';

export interface SeedFile {
  name: string;
  role: FileRole;
  bytes: Uint8Array;
}

export interface Seed {
  /** Stable id: `corpus:<path>`, `repo:<path>` or `generated:<from>:<format>`. */
  id: string;
  format: SeedFormat;
  /** Corpus seeds must never be copied into the repo: their regressions are stored as recipes. */
  origin: 'corpus' | 'repo' | 'generated';
  files: SeedFile[];
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

const isH5 = (p: string) => /\.(h5|hdf5)$/i.test(p);

/** Seeds from one directory tree (corpus or fixtures): models, weights + architecture pairs, checkpoints. */
function seedsFromTree(root: string, origin: Seed['origin'], prefix: string): Seed[] {
  const seeds: Seed[] = [];
  const files = walk(root);
  const read = (p: string) => new Uint8Array(readFileSync(p));
  const id = (p: string) => `${prefix}:${relative(root, p)}`;
  const byDir = new Map<string, string[]>();
  for (const p of files) byDir.set(dirname(p), [...(byDir.get(dirname(p)) ?? []), p]);

  for (const [dir, inDir] of byDir) {
    const jsons = inDir.filter((p) => p.endsWith('.json') && !p.endsWith('case.json') && !p.endsWith('manifest.json'));
    for (const p of inDir) {
      if (p.endsWith('.weights.h5')) {
        // Keras 3 weights: the architecture is config.json of a sibling .keras, or a sibling JSON.
        const arch = jsons[0] ?? inDir.find((q) => q.endsWith('.keras'));
        if (!arch) continue;
        const archBytes = arch.endsWith('.keras') ? configFromKeras(read(arch)) : read(arch);
        if (!archBytes) continue;
        seeds.push({ id: id(p), format: 'weights-h5', origin, files: [{ name: basename(p), role: 'model', bytes: read(p) }, { name: 'architecture.json', role: 'architecture', bytes: archBytes }] });
      } else if (isH5(p)) {
        seeds.push({ id: id(p), format: 'h5', origin, files: [{ name: basename(p), role: 'model', bytes: read(p) }] });
        // A weights-only file next to an architecture JSON: also fuzz the pair (and the JSON).
        if (jsons.length > 0) {
          seeds.push({
            id: `${id(p)}+${basename(jsons[0])}`,
            format: 'h5-weights+json',
            origin,
            files: [{ name: basename(p), role: 'model', bytes: read(p) }, { name: basename(jsons[0]), role: 'architecture', bytes: read(jsons[0]) }],
          });
        }
      } else if (p.endsWith('.keras')) {
        seeds.push({ id: id(p), format: 'keras', origin, files: [{ name: basename(p), role: 'model', bytes: read(p) }] });
      } else if (p.endsWith('.kir')) {
        seeds.push({ id: id(p), format: 'kir', origin, files: [{ name: basename(p), role: 'model', bytes: read(p) }] });
      }
    }
    // A checkpoint: everything in the directory that is not a Keras file (index, shards, meta, pb).
    const ckpt = inDir.filter((p) => /\.index$|\.data-\d+-of-\d+$|\.meta$|\.pb$|-\d{5}-of-\d{5}$|\/checkpoint$|\/export$/.test(p));
    if (ckpt.some((p) => p.endsWith('.index') || /-of-\d{5}$/.test(p) || p.endsWith('/export'))) {
      const role = (p: string): FileRole => (p.endsWith('.index') ? 'index' : p.endsWith('.meta') || p.endsWith('.pb') ? 'meta' : /data-|-of-|\/export$/.test(p) ? 'shard' : 'other');
      seeds.push({ id: `${prefix}:${relative(root, dir)}/`, format: 'tf-ckpt', origin, files: ckpt.map((p) => ({ name: basename(p), role: role(p), bytes: read(p) })) });
    }
  }
  return seeds;
}

function configFromKeras(bytes: Uint8Array): Uint8Array | undefined {
  const config = parseZipEntries(bytes)?.find((e) => e.name === 'config.json');
  return config && entryContent(config);
}

/** Repo test data that exercises container code even though it is not a model. */
function repoDataSeeds(): Seed[] {
  return walk(join(ROOT, 'test', 'data', 'zip'))
    .filter((p) => p.endsWith('.zip'))
    .map((p) => ({ id: `repo:${relative(ROOT, p)}`, format: 'zip' as const, origin: 'repo' as const, files: [{ name: basename(p), role: 'model' as const, bytes: new Uint8Array(readFileSync(p)) }] }));
}

/** Largest seed (bytes) we derive writer-made seeds from: keeps seed generation and cases cheap. */
const GENERATE_FROM_MAX_BYTES = 100_000;
const GENERATE_FROM_COUNT = 4;

/** Files kconv's writers make from loadable small models: `.keras`, `.weights.h5` + JSON, `.kir`, `.h5`. */
async function generatedSeeds(from: Seed[]): Promise<Seed[]> {
  const out: Seed[] = [];
  let used = 0;
  for (const seed of from) {
    if (used >= GENERATE_FROM_COUNT) break;
    if (seed.format !== 'h5' || seed.files[0].bytes.length > GENERATE_FROM_MAX_BYTES) continue;
    let model;
    try {
      model = await load(seed.files[0].bytes, { filename: seed.files[0].name });
    } catch {
      continue;
    }
    used += 1;
    const base = seed.id.replace(/^[a-z]+:/, '');
    const attempt = async (format: WriteFormat) => {
      try {
        return await save(model, { format });
      } catch {
        return undefined;
      }
    };
    const keras = await attempt('keras-v3');
    if (keras) {
      out.push({ id: `generated:${base}:keras`, format: 'keras', origin: 'generated', files: [{ name: 'model.keras', role: 'model', bytes: keras }] });
      const weights = await attempt('keras-v3-weights');
      const config = configFromKeras(keras);
      if (weights && config) {
        out.push({
          id: `generated:${base}:weights-h5`,
          format: 'weights-h5',
          origin: 'generated',
          files: [{ name: 'model.weights.h5', role: 'model', bytes: weights }, { name: 'config.json', role: 'architecture', bytes: config }],
        });
      }
    }
    // The public save() may not offer .kir yet in this build: the IR writer is what it would call.
    let kir = await attempt('kir');
    try {
      kir ??= writeKir(model.graph);
    } catch {
      // a graph .kir cannot hold: no kir seed from this model
    }
    if (kir) out.push({ id: `generated:${base}:kir`, format: 'kir', origin: 'generated', files: [{ name: 'model.kir', role: 'model', bytes: kir }] });
    const h5 = await attempt('keras-h5');
    if (h5) out.push({ id: `generated:${base}:h5`, format: 'h5', origin: 'generated', files: [{ name: 'model.h5', role: 'model', bytes: h5 }] });
  }
  return out;
}

/** The seeds made from fixtures/cases (every model file there is a seed). */
export function fixtureSeeds(): Seed[] {
  return seedsFromTree(join(FIXTURES, 'cases'), 'repo', 'fixture');
}

let cached: Promise<Seed[]> | undefined;

/** All seeds, in a fixed order. Missing sources (no corpus, no fixtures yet) just contribute nothing. */
export function collectSeeds(): Promise<Seed[]> {
  cached ??= (async () => {
    const corpus = seedsFromTree(CORPUS, 'corpus', 'corpus');
    const fixtures = fixtureSeeds();
    const base = [...fixtures, ...corpus, ...repoDataSeeds()];
    return [...base, ...(await generatedSeeds([...fixtures, ...corpus]))];
  })();
  return cached;
}
