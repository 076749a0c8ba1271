import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeHdf5 } from './hdf5-writer.test-harness';
import { kerasH5, type KerasLayerWeights } from './keras-h5.test-harness';
import { readKerasH5 } from './keras-h5';

/** Values no reader could get right by accident: distinct, signed, not round. */
function known(shape: number[], seed: number): { shape: number[]; values: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 1000 + i) * (i + 1) * 1e-2)) };
}

const SMALL_VGG: KerasLayerWeights[] = [
  { name: 'input_1', weights: [] },
  {
    name: 'block1_conv1',
    weights: [
      { name: 'block1_conv1/kernel:0', ...known([3, 3, 3, 4], 1) },
      { name: 'block1_conv1/bias:0', ...known([4], 2) },
    ],
  },
  { name: 'block1_pool', weights: [] },
  {
    name: 'fc1',
    weights: [
      { name: 'fc1/kernel:0', ...known([16, 2], 3) },
      { name: 'fc1/bias:0', ...known([2], 4) },
    ],
  },
];

test('a Keras 2 weights-only file reads back layer by layer, weight by weight, with exact values', () => {
  const source = readKerasH5(kerasH5(SMALL_VGG), 'small.h5');
  assert.equal(source.format, 'keras-h5-weights');
  assert.deepEqual(
    source.layers.map((l) => [l.name, l.weights.map((w) => w.name)]),
    [
      ['block1_conv1', ['block1_conv1/kernel', 'block1_conv1/bias']],
      ['fc1', ['fc1/kernel', 'fc1/bias']],
    ],
  );
  const want = SMALL_VGG.flatMap((l) => l.weights);
  const got = source.layers.flatMap((l) => l.weights);
  got.forEach((w, i) => {
    assert.deepEqual(w.shape, want[i]!.shape);
    assert.deepEqual(w.values, want[i]!.values);
  });
});

test('Keras 1 weight names (block1_conv1_W_1:0) belong to the layer group that holds them', () => {
  const layers = [
    {
      name: 'block1_conv1',
      weights: [
        { name: 'block1_conv1_W_1:0', ...known([3, 3, 3, 2], 5) },
        { name: 'block1_conv1_b_1:0', ...known([2], 6) },
      ],
    },
  ];
  const source = readKerasH5(kerasH5(layers), 'old.h5');
  assert.deepEqual(
    source.layers.map((l) => [l.name, l.weights.map((w) => w.name)]),
    [['block1_conv1', ['block1_conv1_W_1', 'block1_conv1_b_1']]],
  );
  assert.deepEqual(source.layers[0]!.weights[0]!.values, layers[0]!.weights[0]!.values);
});

test('a whole saved model is read from model_weights, and a nested model splits into its inner layers', () => {
  const layers: KerasLayerWeights[] = [
    {
      name: 'sequential_1',
      weights: [
        { name: 'Conv1/kernel:0', ...known([3, 3, 3, 2], 7) },
        { name: 'bn_Conv1/gamma:0', ...known([2], 8) },
        { name: 'bn_Conv1/beta:0', ...known([2], 9) },
        { name: 'bn_Conv1/moving_mean:0', ...known([2], 10) },
      ],
    },
    // One variable whose name does not match its layer: Keras goes by the group.
    { name: 'dense_1', weights: [{ name: 'dense/kernel:0', ...known([2, 3], 11) }] },
  ];
  const source = readKerasH5(kerasH5(layers, { asModel: true }), 'model.h5');
  assert.equal(source.format, 'keras-h5-model');
  assert.deepEqual(
    source.layers.map((l) => [l.name, l.weights.map((w) => w.name)]),
    [
      ['Conv1', ['Conv1/kernel']],
      ['bn_Conv1', ['bn_Conv1/gamma', 'bn_Conv1/beta', 'bn_Conv1/moving_mean']],
      ['dense_1', ['dense/kernel']],
    ],
  );
  assert.deepEqual(source.layers[1]!.weights[2]!.values, layers[0]!.weights[3]!.values);
});

test('layer names Keras split over several attributes (layer_names0, layer_names1) are joined', () => {
  const file = writeHdf5({
    attrs: { layer_names0: ['a'], layer_names1: ['b'] },
    members: {
      a: { attrs: { weight_names: ['a/kernel:0'] }, members: { a: { members: { 'kernel:0': known([2], 1) } } } },
      b: { attrs: { weight_names: ['b/kernel:0'] }, members: { b: { members: { 'kernel:0': known([3], 2) } } } },
    },
  });
  assert.deepEqual(
    readKerasH5(file, 'split.h5').layers.map((l) => l.name),
    ['a', 'b'],
  );
});

test('files that are not Keras weights are refused with a reason', () => {
  assert.throws(() => readKerasH5(new TextEncoder().encode('{"modelTopology": {}}'), 'model.json'), /model.json is not an HDF5 file/);
  const plain = writeHdf5({ members: { data: known([4], 1) } });
  assert.throws(() => readKerasH5(plain, 'data.h5'), /data.h5 is not a Keras weights file: it has no "layer_names" attribute/);
  const dangling = writeHdf5({
    attrs: { layer_names: ['conv'] },
    members: { conv: { attrs: { weight_names: ['conv/kernel:0'] }, members: {} } },
  });
  assert.throws(() => readKerasH5(dangling, 'broken.h5'), /broken.h5: \/conv\/conv\/kernel:0 is missing/);
});
