import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARCHITECTURES, buildBackbone, preprocessingFor } from './backbone';
import { buildClassifier, trainableFrom } from './classifier';

/** keras.applications.VGG16(include_top=False).summary(), layer by layer. */
const KERAS_VGG16 = [
  ['input_1', []],
  ['block1_conv1', [[3, 3, 3, 64], [64]]],
  ['block1_conv2', [[3, 3, 64, 64], [64]]],
  ['block1_pool', []],
  ['block2_conv1', [[3, 3, 64, 128], [128]]],
  ['block2_conv2', [[3, 3, 128, 128], [128]]],
  ['block2_pool', []],
  ['block3_conv1', [[3, 3, 128, 256], [256]]],
  ['block3_conv2', [[3, 3, 256, 256], [256]]],
  ['block3_conv3', [[3, 3, 256, 256], [256]]],
  ['block3_pool', []],
  ['block4_conv1', [[3, 3, 256, 512], [512]]],
  ['block4_conv2', [[3, 3, 512, 512], [512]]],
  ['block4_conv3', [[3, 3, 512, 512], [512]]],
  ['block4_pool', []],
  ['block5_conv1', [[3, 3, 512, 512], [512]]],
  ['block5_conv2', [[3, 3, 512, 512], [512]]],
  ['block5_conv3', [[3, 3, 512, 512], [512]]],
  ['block5_pool', []],
] as const;

test('VGG16 has exactly the layers, weight shapes and parameter count of Keras VGG16 without top', async () => {
  const model = await buildBackbone('vgg16');
  assert.deepEqual(
    model.layers.map((l) => [l.name, l.weights.map((w) => w.shape)]),
    KERAS_VGG16.map(([name, shapes]) => [name, shapes.map((s) => [...s])]),
  );
  assert.equal(model.countParams(), 14_714_688);
  assert.deepEqual(model.outputs[0]!.shape, [null, 7, 7, 512]);
  assert.equal(model.outputs[0]!.sourceLayer.name, ARCHITECTURES.vgg16.featureLayer);
  model.dispose();
});

test('MobileNet v1 0.75 has the parameter count and feature layer of the released base model', async () => {
  const model = await buildBackbone('mobilenet');
  // 2,601,976 parameters in models/base, less its 1x1 classifier conv (768 x 1000 + 1000).
  assert.equal(model.countParams(), 2_601_976 - 769_000);
  assert.deepEqual(model.outputs[0]!.shape, [null, 7, 7, 768]);
  assert.equal(model.outputs[0]!.sourceLayer.name, ARCHITECTURES.mobilenet.featureLayer);
  model.dispose();
});

test('backbones take any input from 32x32 up with the same weights, and refuse smaller', async () => {
  const vgg = await buildBackbone('vgg16', { inputSize: [32, 48] });
  assert.deepEqual(vgg.outputs[0]!.shape, [null, 1, 1, 512]);
  assert.equal(vgg.countParams(), 14_714_688);
  vgg.dispose();
  await assert.rejects(buildBackbone('mobilenet', { inputSize: [16, 16] }), /16x16 is too small: mobilenet needs at least 32x32/);
});

test('each backbone carries the preprocessing its ImageNet weights expect', () => {
  assert.deepEqual(preprocessingFor('vgg16'), { mode: 'caffe', inputSize: [224, 224], channels: 3 });
  assert.deepEqual(preprocessingFor('mobilenet', [96, 96]), { mode: 'mobilenet', inputSize: [96, 96], channels: 3 });
});

test('unfreezing the top block trains block 5 and the head only', async () => {
  const model = buildClassifier(await buildBackbone('vgg16', { inputSize: [32, 32] }), { seed: 1 });
  trainableFrom(model, ARCHITECTURES.vgg16.topBlockStart);
  const trainable = new Set(model.trainableWeights.map((w) => w.originalName.split('/')[0]));
  assert.deepEqual([...trainable], ['block5_conv1', 'block5_conv2', 'block5_conv3', 'head_dense', 'head_output']);
  assert.equal(model.nonTrainableWeights.length, 20);
  assert.deepEqual(model.outputs[0]!.shape, [null, 1]);
  assert.throws(() => trainableFrom(model, 'conv_dw_13'), /has no layer "conv_dw_13"/);
  model.dispose();
});
