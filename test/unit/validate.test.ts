/** Each bad attribute gives a KconvError that names the node and the attribute. */
import { describe, expect, it } from 'vitest';
import { KconvError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Conv1DAttrs } from '../../src/ir/ops/index.js';
import { inferShapes } from '../../src/ir/shapes.js';
import { float32 } from '../../src/tensor.js';
import { validateGraph } from '../../src/ir/validate.js';
import { compile } from '../../src/runtime/index.js';

const CONV: Conv1DAttrs = {
  kernelSize: 3, stride: 1, dilation: 1, padding: { kind: 'explicit', before: 0, after: 0 }, layout: 'NWC',
  filters: 4, inChannels: 2, groups: 1, activation: { fn: 'linear' }, useBias: true,
};

function convGraph(attrs: Partial<Conv1DAttrs>, kernelShape?: number[]): Graph {
  const a = { ...CONV, ...attrs };
  const b = new GraphBuilder('g');
  const x = b.input('x', [null, a.inChannels]);
  const shape = kernelShape ?? [a.kernelSize, Math.max(1, Math.floor(a.inChannels / Math.max(1, a.groups))), a.filters];
  const y = b.add('Conv1D', 'my_conv', [x], a, { kernel: float32(shape.map((d) => Math.max(Math.floor(d), 0))), bias: float32([Math.max(Math.floor(a.filters), 0)]) });
  return b.build([y]);
}

function errorOf(f: () => unknown): KconvError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KconvError);
    return e as KconvError;
  }
  throw new Error('expected a KconvError, nothing was thrown');
}

describe('validateGraph', () => {
  const bad: [string, Partial<Conv1DAttrs>, string][] = [
    ['zero kernel', { kernelSize: 0 }, 'kernelSize'],
    ['negative stride', { stride: -1 }, 'stride'],
    ['zero dilation', { dilation: 0 }, 'dilation'],
    ['fractional filters', { filters: 2.5 }, 'filters'],
    ['zero filters', { filters: 0 }, 'filters'],
    ['groups not dividing channels', { groups: 2, inChannels: 3 }, 'groups'],
    ['groups not dividing filters', { groups: 2, inChannels: 4, filters: 3 }, 'groups'],
    ['negative explicit padding', { padding: { kind: 'explicit', before: -1, after: 0 } }, 'padding.before'],
    ['unknown layout', { layout: 'NHWC' as never }, 'layout'],
    ['unknown activation', { activation: { fn: 'swoosh' as never } }, 'activation.fn'],
  ];
  it.each(bad)('%s → INVALID_GRAPH naming node and %s', (_name, attrs, attribute) => {
    const e = errorOf(() => validateGraph(convGraph(attrs)));
    expect(e.code).toBe('INVALID_GRAPH');
    expect(e.message).toContain("'my_conv'");
    expect(e.message).toContain(attribute);
  });

  it('kernel shape not matching the attributes → BAD_WEIGHTS naming node, weight and shapes', () => {
    const e = errorOf(() => validateGraph(convGraph({}, [3, 2, 5])));
    expect(e.code).toBe('BAD_WEIGHTS');
    expect(e.message).toContain("'my_conv'");
    expect(e.message).toContain("'kernel'");
    expect(e.message).toContain('[3, 2, 4]');
    expect(e.message).toContain('[3, 2, 5]');
  });

  it('a valid graph passes', () => {
    expect(() => validateGraph(convGraph({}))).not.toThrow();
  });

  it('padding that yields no output step → INVALID_GRAPH at shape inference, naming padding', () => {
    const g = convGraph({ kernelSize: 5, dilation: 2 });
    const e = errorOf(() => inferShapes(g, [[1, 6, 2]]));
    expect(e.code).toBe('INVALID_GRAPH');
    expect(e.message).toContain("'my_conv'");
    expect(e.message).toContain('padding');
  });

  it('input channel mismatch → names inChannels', () => {
    const e = errorOf(() => inferShapes(convGraph({}), [[1, 6, 3]]));
    expect(e.code).toBe('BAD_INPUT'); // the Input node declares 2 channels: the caller's input is wrong
    const b = new GraphBuilder('g');
    const x = b.input('x', [null, 3]);
    b.add('Conv1D', 'c', [x], CONV, { kernel: float32([3, 2, 4]), bias: float32([4]) });
    const e2 = errorOf(() => inferShapes(b.build(['c']), [[1, 6, 3]]));
    expect(e2.code).toBe('INVALID_GRAPH');
    expect(e2.message).toContain('inChannels');
  });

  it('other ops: reshape, permute, cropping, concatenate, merge, transpose', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', [6, 2]);
    b.add('Reshape', 'rs', [x], { targetShape: [5, -1] });
    const e1 = errorOf(() => inferShapes(b.build(['rs']), [[1, 6, 2]]));
    expect(e1.message).toMatch(/'rs'.*targetShape/);

    const b2 = new GraphBuilder('g');
    const x2 = b2.input('x', [6, 2]);
    b2.add('Permute', 'perm', [x2], { dims: [1, 1] });
    expect(errorOf(() => validateGraph(b2.build(['perm']))).message).toMatch(/'perm'.*dims/);

    const b3 = new GraphBuilder('g');
    const x3 = b3.input('x', [6, 2]);
    b3.add('Cropping1D', 'crop', [x3], { before: 4, after: 2, layout: 'NWC' });
    expect(errorOf(() => inferShapes(b3.build(['crop']), [[1, 6, 2]])).message).toMatch(/'crop'/);

    const b4 = new GraphBuilder('g');
    const p = b4.input('p', [6, 2]);
    const q = b4.input('q', [5, 2]);
    b4.add('Concatenate', 'cat', [p, q], { axis: -1 });
    b4.add('Merge', 'sum', [p, q], { mode: 'add' });
    expect(errorOf(() => inferShapes(b4.build(['cat']), [[1, 6, 2], [1, 5, 2]])).message).toMatch(/'cat'.*axis/);
    expect(errorOf(() => inferShapes(b4.build(['sum']), [[1, 6, 2], [1, 5, 2]])).message).toMatch(/'sum'.*broadcast/);

    const b5 = new GraphBuilder('g');
    const x5 = b5.input('x', [6, 2]);
    b5.add('Conv1DTranspose', 'up', [x5], { kernelSize: 3, stride: 2, dilation: 1, padding: 'same', outputPadding: 2, layout: 'NWC', filters: 3, inChannels: 2, activation: { fn: 'linear' }, useBias: false }, { kernel: float32([3, 3, 2]) });
    expect(errorOf(() => validateGraph(b5.build(['up']))).message).toMatch(/'up'.*outputPadding/);
  });

  it('duplicate node names and undefined values are structural errors', () => {
    const g = convGraph({});
    g.nodes.push({ ...g.nodes[1] });
    expect(errorOf(() => validateGraph(g)).message).toContain("two nodes are named 'my_conv'");
    const g2 = convGraph({});
    g2.nodes[1] = { ...g2.nodes[1], inputs: ['nowhere'] };
    expect(errorOf(() => validateGraph(g2)).message).toContain("'nowhere'");
  });
});

describe('Unsupported layers', () => {
  function graphWithLambda(useIt: boolean): Graph {
    const b = new GraphBuilder('g');
    const x = b.input('x', [null, 2]);
    const lam = b.add('Unsupported', 'my_lambda', [x], { className: 'Lambda', reason: 'Lambda layers hold Python code' }, {}, { className: 'Lambda', config: {}, layerName: 'my_lambda' });
    const y = b.add('Activation', 'act', [useIt ? lam : x], { activation: { fn: 'tanh' } });
    return b.build([y]);
  }

  it('compiling a plan that needs one throws UNSUPPORTED_LAYER naming the layer and its class', () => {
    const e = errorOf(() => compile(graphWithLambda(true), [[1, 4, 2]]));
    expect(e.code).toBe('UNSUPPORTED_LAYER');
    expect(e.message).toContain('my_lambda');
    expect(e.message).toContain('Lambda');
  });

  it('an unsupported node the outputs do not need is fine', () => {
    expect(() => compile(graphWithLambda(false), [[1, 4, 2]])).not.toThrow();
  });
});
