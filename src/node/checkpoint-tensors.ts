/**
 * Node-only: a TensorFlow checkpoint listed as tensors, for checkpoints kconv cannot turn into a
 * model (no graph and no architecture, or a graph that is not a 1-D convolutional model). The
 * listing reads every tensor to verify its checksum, so it runs under the same limits as a load.
 */
import { resolveLimits, TensorBudget, type Limits } from '../limits.js';
import { inspectCheckpoint, openCheckpoint } from '../tf/checkpoint.js';
import { resolveCheckpoint } from './checkpoint-files.js';

/** The `kconv inspect --json` document for a checkpoint listed as tensors (schema 1, like the model report). */
export interface CheckpointTensorsReport {
  schema: 1;
  file: string;
  format: 'tf-checkpoint-tensors';
  checkpoint: { version: 'v1' | 'v2'; shards: number; endianness: string; graph: boolean };
  tensors: { name: string; dtype: string; shape: number[]; shard: number; bytes: number; partitioned: boolean }[];
  warnings: string[];
}

/** Lists the tensors of the checkpoint at `path` (prefix, `.index`/`.meta` file or directory), verifying every checksum. */
export function listCheckpointTensors(path: string, options: { limits?: Partial<Limits> } = {}): CheckpointTensorsReport {
  const files = resolveCheckpoint(path);
  const listing = inspectCheckpoint(openCheckpoint(files, new TensorBudget(resolveLimits(options.limits))));
  return {
    schema: 1,
    file: path,
    format: 'tf-checkpoint-tensors',
    checkpoint: { version: listing.format, shards: listing.numShards, endianness: listing.endianness, graph: Boolean(files.meta || files.savedModel) },
    tensors: listing.tensors,
    warnings: [...files.warnings],
  };
}
