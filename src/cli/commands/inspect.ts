/**
 * `kconv inspect MODEL`: what is in a model file, as a summary or as JSON (`--json`).
 *
 * A TensorFlow checkpoint that cannot be turned into a model (no graph, no architecture given,
 * or a graph that is not a Conv1D model) is still described: its tensors, with every checksum
 * verified, and the reason it cannot be loaded as a model as a warning.
 */
import { isCheckpointPath, isKconvError, listCheckpointTensors, loadFile, type CheckpointTensorsReport, type KconvError, type Limits } from '../../node.js';
import { EXIT_OK, forCli, type Context } from '../context.js';

export interface InspectArgs {
  model: string;
  architecture?: string;
}

function checkpointTensors(path: string, why: KconvError, limits?: Partial<Limits>): CheckpointTensorsReport {
  const report = listCheckpointTensors(path, { limits });
  report.warnings.push(`not loadable as a model: ${why.code}: ${why.message}`);
  return report;
}

export async function inspectCommand(ctx: Context, args: InspectArgs): Promise<number> {
  let model;
  try {
    model = await loadFile(args.model, { ...ctx.loadOptions(), architecture: args.architecture });
  } catch (e) {
    const listable = isKconvError(e) && (e.code === 'USAGE' || e.code === 'UNSUPPORTED_FEATURE' || e.code === 'UNSUPPORTED_LAYER');
    if (!listable || args.architecture !== undefined || !isCheckpointPath(args.model)) throw e;
    const report = checkpointTensors(args.model, e, ctx.flags.limits);
    if (ctx.flags.json) ctx.json(report);
    else {
      const c = report.checkpoint;
      ctx.out(`TensorFlow checkpoint: ${args.model}`);
      ctx.out(`Format: ${c.version}, ${c.shards} shard(s), ${c.endianness}${c.graph ? ', with a graph' : ', no graph'}`);
      ctx.out('');
      const rows = [['Tensor', 'dtype', 'shape', 'bytes'], ...report.tensors.map((t) => [t.name, t.dtype, `(${t.shape.join(', ')})`, String(t.bytes)])];
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) ctx.out(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
      ctx.out('');
      for (const w of report.warnings) ctx.out(`warning: ${w}`);
    }
    return EXIT_OK;
  }
  const report = model.inspect();
  if (ctx.flags.json) ctx.json({ ...report, warnings: report.warnings.map(forCli) });
  else ctx.out(forCli(model.summary())); // its warnings name API options; here they are flags
  return EXIT_OK;
}
