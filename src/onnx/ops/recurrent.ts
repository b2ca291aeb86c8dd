/**
 * Recurrent layers, TimeDistributed and masks: kconv's ONNX writer does not export them yet (ONNX
 * has LSTM, GRU and RNN ops with sequence lengths, so they are a writer to add, not a format gap).
 * Until then export refuses them by name.
 */
import type { Node } from '../../ir/graph.js';
import type { OpType } from '../../ir/ops/index.js';
import type { OnnxCodec } from '../codec.js';
import { notRepresentable } from '../emitter.js';

function notYet<K extends OpType>(what: string): OnnxCodec<K> {
  return {
    emit(node) {
      throw notRepresentable(node as Node, what, "kconv's ONNX writer does not export it yet (the Keras writers and the runtime do)");
    },
  };
}

export const recurrent = notYet<'Recurrent'>('a recurrent layer (LSTM, GRU, SimpleRNN)');
export const bidirectional = notYet<'Bidirectional'>('a Bidirectional recurrent layer');
export const timeDistributed = notYet<'TimeDistributed'>('a TimeDistributed wrapper');
export const mask = notYet<'Mask'>("a Keras mask (Embedding mask_zero / Masking)");
export const masking = notYet<'Masking'>('a Masking layer');
export const maskedGlobalAveragePooling1d = notYet<'MaskedGlobalAveragePooling1D'>('a masked GlobalAveragePooling1D');
