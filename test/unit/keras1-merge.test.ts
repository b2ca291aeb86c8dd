/**
 * Keras 1 `Merge(mode=…)` becomes Add/Concatenate/… in Keras 2 and 3: the mode is translated
 * into the layer class, so converting must not warn that it was dropped (issue 17).
 */
import { describe, expect, it } from 'vitest';
import { graphFromKerasConfig } from '../../src/keras/model-config.js';
import { saveWithWarnings } from '../../src/node.js';
import { strFromU8, unzipSync } from 'fflate';

function keras1Merge(mode: string, extra: Record<string, unknown> = {}) {
  const config = {
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        { class_name: 'InputLayer', name: 'a', config: { batch_input_shape: [null, 8, 3], input_dtype: 'float32', name: 'a' }, inbound_nodes: [] },
        { class_name: 'InputLayer', name: 'b', config: { batch_input_shape: [null, 8, 3], input_dtype: 'float32', name: 'b' }, inbound_nodes: [] },
        { class_name: 'Merge', name: 'merge_1', config: { name: 'merge_1', mode, concat_axis: -1, dot_axes: -1, mode_type: 'raw', output_shape: null, output_shape_type: 'raw', output_mask: null, output_mask_type: 'raw', arguments: {}, ...extra }, inbound_nodes: [[['a', 0, 0], ['b', 0, 0]]] },
      ],
      input_layers: [['a', 0, 0], ['b', 0, 0]],
      output_layers: [['merge_1', 0, 0]],
    },
  };
  return graphFromKerasConfig(config, { layerWeights: () => undefined }, { generation: 'keras1' });
}

describe('Keras 1 Merge converted', () => {
  it.each([
    ['sum', 'Add'],
    ['concat', 'Concatenate'],
    ['mul', 'Multiply'],
  ])("mode '%s' becomes %s with no warning that the mode was dropped", async (mode, className) => {
    const g = keras1Merge(mode);
    for (const targetVersion of ['3.0', '2.15']) {
      const { bytes, warnings } = await saveWithWarnings(g, { format: targetVersion === '3.0' ? 'keras-v3' : 'keras-h5', targetVersion });
      expect(warnings.filter((w) => /dropped/.test(w) && /mode|concat_axis|dot_axes/.test(w)), targetVersion).toEqual([]);
      if (targetVersion === '3.0') expect(strFromU8(unzipSync(bytes)['config.json'])).toContain(`"class_name":"${className}"`);
    }
  });
});
