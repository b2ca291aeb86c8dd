/**
 * keras-tcn's TCN layer as a codec: read from any Keras generation and expanded into kconv's ops
 * at each call (src/keras/layers/tcn.ts), written back whole as the TCN layer
 * (src/keras/layers/tcn-write.ts).
 */
import { KconvError } from '../../errors.js';
import { isTensorValue } from '../node-calls.js';
import { codec } from './codec.js';
import { expandTcn, parseTcnConfig } from './tcn.js';
import { TCN_FEATURES, tcnWriter } from './tcn-write.js';
import { unsupported } from './unsupported.js';

/** Reads keras-tcn's TCN layer of any Keras generation; each call expands into kconv ops. */
export const tcnCodec = codec({
  writtenBack: 'as the TCN layer (keras-tcn 3.5.7: tf.keras 2.13-2.15, Keras 3); kconv runs it expanded into its parts',
  classes: ['TCN', 'Custom>TCN'],
  ops: [],
  read(className, cfg, w) {
    return unsupported(className, 'expanded into Conv1D, normalization, activation and Add nodes when the layer is called', w.stored);
  },
  planCall(layer, call, ctx, config) {
    const spec = parseTcnConfig(config, ctx.generation, ctx.where);
    const tensors = call.args.length > 0 && isTensorValue(call.args[0]) ? [call.args[0].tensor] : [];
    if (tensors.length !== 1) throw new KconvError('BAD_CONFIG', 'expected a TCN to be called on one tensor', { where: ctx.where });
    return { inputs: tensors, nodes: expandTcn(spec, new Map(Object.entries(layer.weights)), ctx.where), expandedFrom: 'TCN' };
  },
  write: {},
  writeExpanded: tcnWriter,
  features: TCN_FEATURES,
});
