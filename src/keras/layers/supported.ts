/**
 * The list of supported layers the README shows, generated from the codec registry (so it cannot
 * drift from what kconv actually reads): every Keras class a codec claims, the IR op(s) of its
 * family, whether kconv writes the family back, the classes it loads but does not run, and the
 * TensorFlow functions it runs inside TF-op layers. test/unit/supported-layers.test.ts keeps the
 * README's copy equal to this.
 */
import { OP_TYPES } from '../../ir/ops/index.js';
import { CODECS } from './index.js';
import { TF_OP_FUNCTIONS } from './tf-op.js';
import { unsupportedCodec } from './unsupported.js';

export function supportedLayersMarkdown(): string {
  const rows = ['| Keras classes | kconv ops | written back by `kconv convert` |', '|---|---|---|'];
  for (const c of CODECS) {
    if (c === unsupportedCodec) continue;
    const ops = c.ops.length > 0 ? c.ops.map((o) => `\`${o}\``).join(', ') : 'expanded into the ops above';
    rows.push(`| ${[...c.classes].sort().join(', ')} | ${ops} | ${c.readOnly ? `no: ${c.readOnly}` : (c.writtenBack ?? 'yes')} |`);
  }
  return [
    `kconv runs these Keras layer classes (${OP_TYPES.length - 2} IR ops; every generation's spelling of a class is listed):`,
    '',
    ...rows,
    '',
    `Loaded with their weights but not run (running names the layer): ${[...unsupportedCodec.classes].sort().join(', ')}, and any class kconv does not know (custom layers).`,
    '',
    `TensorFlow functions run inside tf.keras's TFOpLambda / SlicingOpLambda layers (any other loads and is refused when run): ${TF_OP_FUNCTIONS.map((f) => `\`${f}\``).join(', ')}.`,
  ].join('\n');
}
