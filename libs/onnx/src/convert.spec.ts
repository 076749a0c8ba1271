import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { initWasmBackend, directorySaver } from '@pneumoscreen/tfjs';
import { convertModelDir, exportOnnx } from './convert';
import { ONNX_FILE } from '@pneumoscreen/model-format';

/** Deterministic weights in [-0.5, 0.5); batch-norm variances positive, as trained ones are. */
function randomise(tf: typeof tfTypes, model: tfTypes.LayersModel): void {
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  for (const layer of model.layers) {
    const weights = layer.getWeights().map((w, i) => {
      const values = Float32Array.from({ length: w.size }, next);
      if (layer.getClassName() === 'BatchNormalization' && i === layer.getWeights().length - 1)
        values.forEach((v, j) => (values[j] = v + 0.6));
      return tf.tensor(values, w.shape);
    });
    if (weights.length) layer.setWeights(weights);
  }
}

/** Saves `model`, exports it, runs both on the same batch and returns the largest difference. */
async function maxDifference(tf: typeof tfTypes, model: tfTypes.LayersModel): Promise<{ diff: number; onnx: Uint8Array; scale: number }> {
  randomise(tf, model);
  const dir = await mkdtemp(path.join(tmpdir(), 'onnx-export-'));
  await model.save(directorySaver(dir));
  const onnx = await convertModelDir(dir);
  const [, h, w, c] = model.inputs[0]!.shape as number[];
  const x = Float32Array.from({ length: 3 * h! * w! * c! }, (_, i) => Math.sin(i * 0.37));
  const expected = (model.predict(tf.tensor4d(x, [3, h!, w!, c!])) as tfTypes.Tensor).dataSync();
  const session = await ort.InferenceSession.create(onnx);
  try {
    const { output } = await session.run({ input: new ort.Tensor('float32', x, [3, h!, w!, c!]) });
    assert.equal(output!.data.length, expected.length);
    const actual = output!.data as Float32Array;
    const diff = Math.max(...expected.map((e, i) => Math.abs(e - actual[i]!)));
    return { diff, onnx, scale: Math.max(...expected.map(Math.abs)) };
  } finally {
    await session.release();
  }
}

test('a VGG-like sequential model: convs with bias and ReLU, every pooling, flatten, dense softmax', async () => {
  const tf = await initWasmBackend();
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [13, 11, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.conv2d({ filters: 5, kernelSize: [3, 2], padding: 'valid', strides: [2, 1], activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 2, dilationRate: 2, padding: 'same', useBias: false, activation: 'tanh' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 7, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const { diff, scale } = await maxDifference(tf, model);
  assert.ok(scale > 0.01, 'outputs all near zero: the test would prove nothing');
  assert.ok(diff < 1e-5, `ONNX and TF.js differ by ${diff}`);
});

test('a MobileNet-like functional model: zero padding, depthwise, folded and unfolded batch norm, ReLU6, GAP, sigmoid', async () => {
  const tf = await initWasmBackend();
  const input = tf.input({ shape: [16, 16, 3] });
  const apply = (layer: tfTypes.layers.Layer, x: tfTypes.SymbolicTensor) => layer.apply(x) as tfTypes.SymbolicTensor;
  let x = apply(
    tf.layers.zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
    }),
    input,
  );
  x = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }), x);
  x = apply(tf.layers.batchNormalization({ epsilon: 1e-3 }), x);
  x = apply(tf.layers.activation({ activation: 'relu6' }), x);
  x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false }), x);
  x = apply(tf.layers.batchNormalization(), x);
  x = apply(tf.layers.reLU({ maxValue: 6 }), x);
  x = apply(tf.layers.zeroPadding2d({ padding: 1 }), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 2 }), x); // zeros then max: needs a Pad node, not pool pads
  x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), x);
  x = apply(tf.layers.batchNormalization(), x); // after an activation: cannot fold
  x = apply(tf.layers.conv2d({ filters: 6, kernelSize: 1, padding: 'same' }), x);
  x = apply(tf.layers.reLU(), x);
  const gap = apply(tf.layers.globalAveragePooling2d({}), x);
  x = apply(tf.layers.dropout({ rate: 0.2 }), gap);
  x = apply(tf.layers.dense({ units: 1, activation: 'sigmoid' }), x);
  const model = tf.model({ inputs: input, outputs: x });
  const { diff, scale } = await maxDifference(tf, model);
  assert.ok(scale > 0.01, 'outputs all near zero: the test would prove nothing');
  assert.ok(diff < 1e-5, `ONNX and TF.js differ by ${diff}`);
});

test('a feature-map output comes back NHWC, as TF.js gives it', async () => {
  const tf = await initWasmBackend();
  const model = tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [5, 4, 3], filters: 3, kernelSize: 2, padding: 'same' }), tf.layers.globalMaxPooling2d({})],
  });
  assert.ok((await maxDifference(tf, model)).diff < 1e-5);
  const featureMap = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [5, 4, 3], filters: 2, kernelSize: 3 })] });
  assert.ok((await maxDifference(tf, featureMap)).diff < 1e-5);
});

test('exportOnnx writes model.onnx beside model.json', async () => {
  const tf = await initWasmBackend();
  const model = tf.sequential({ layers: [tf.layers.globalAveragePooling2d({ inputShape: [4, 4, 3] }), tf.layers.dense({ units: 1 })] });
  const dir = await mkdtemp(path.join(tmpdir(), 'onnx-export-'));
  await model.save(directorySaver(dir));
  const file = await exportOnnx(dir);
  assert.equal(file, path.join(dir, ONNX_FILE));
  const session = await ort.InferenceSession.create(await readFile(file));
  assert.deepEqual(session.inputMetadata[0], { name: 'input', isTensor: true, type: 'float32', shape: ['batch', 4, 4, 3] });
  await session.release();
});

test('a layer with no exact ONNX translation is refused by name', async () => {
  const tf = await initWasmBackend();
  const dir = await mkdtemp(path.join(tmpdir(), 'onnx-export-'));
  const model = tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [4, 4, 3], filters: 2, kernelSize: 1 }), tf.layers.upSampling2d({ name: 'up' })],
  });
  await model.save(directorySaver(dir));
  await assert.rejects(convertModelDir(dir), /layer up \(UpSampling2D\) cannot be exported/);
  const elu = tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [4, 4, 3], filters: 2, kernelSize: 1, activation: 'elu', name: 'c' })],
  });
  await elu.save(directorySaver(dir));
  await assert.rejects(convertModelDir(dir), /activation "elu" of layer c is not supported/);
  const flat = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 1 })] });
  await flat.save(directorySaver(dir));
  await assert.rejects(convertModelDir(dir), /is not \[batch, height, width, channels\]/);
});
