import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import { TopBlock } from './top-block';

/** A miniature MobileNet v1 tail with Keras' layer names and non-trivial batch-norm statistics. */
function tinyMobilenet(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let x = input as tf.SymbolicTensor;
  const bnRelu6 = (name: string) => {
    x = tf.layers.batchNormalization({ name: `${name}_bn` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ name: `${name}_relu`, activation: 'relu6' }).apply(x) as tf.SymbolicTensor;
  };
  const init = (seed: number) => tf.initializers.randomUniform({ minval: -1, maxval: 1, seed });
  x = tf.layers
    .conv2d({ name: 'conv_pw_1', filters: 4, kernelSize: 1, useBias: false, kernelInitializer: init(1) })
    .apply(x) as tf.SymbolicTensor;
  bnRelu6('conv_pw_1');
  [
    [2, 6],
    [1, 5],
  ].forEach(([stride, filters], i) => {
    const dw = `conv_dw_${i + 2}`;
    const pw = `conv_pw_${i + 2}`;
    x = tf.layers
      .depthwiseConv2d({ name: dw, kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: init(2 + i) })
      .apply(x) as tf.SymbolicTensor;
    bnRelu6(dw);
    x = tf.layers
      .conv2d({ name: pw, filters: filters!, kernelSize: 1, useBias: false, kernelInitializer: init(4 + i) })
      .apply(x) as tf.SymbolicTensor;
    bnRelu6(pw);
  });
  const model = tf.model({ inputs: input, outputs: x });
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const n = layer.getWeights()[0]!.shape[0]!;
    layer.setWeights([
      tf.randomUniform([n], 0.5, 1.5, 'float32', 7),
      tf.randomUniform([n], -0.5, 0.5, 'float32', 8),
      tf.randomUniform([n], -0.3, 0.3, 'float32', 9),
      tf.randomUniform([n], 0.5, 2, 'float32', 10),
    ]);
  }
  return model;
}

const SPEC = { cutLayer: 'conv_pw_1_relu', featureLayer: 'conv_pw_3_relu' };

/** The reference: the layers' own inference-mode calls, differentiated by TF.js on the CPU backend. */
function referenceLoss(model: tf.LayersModel, cut: tf.Tensor4D, weights: tf.Tensor): tf.Scalar {
  const names = model.layers.map((l) => l.name);
  let h: tf.Tensor = cut;
  for (let i = names.indexOf(SPEC.cutLayer) + 1; i <= names.indexOf(SPEC.featureLayer); i++) {
    h = model.layers[i]!.apply(h, { training: false }) as tf.Tensor;
  }
  return tf.sum(tf.mul(h, weights));
}

async function gradients(trainableFrom: string): Promise<{ ref: Float32Array[]; got: Float32Array[]; out: Float32Array[] }> {
  const tfw = await initWasmBackend();
  const model = tinyMobilenet();
  const images = tf.randomUniform([3, 8, 8, 3], -1, 1, 'float32', 11);
  const cutModel = tf.model({ inputs: model.inputs, outputs: model.getLayer(SPEC.cutLayer).output as tf.SymbolicTensor });
  const cut = cutModel.predict(images) as tf.Tensor4D;
  const top = TopBlock.fromModel(model, { ...SPEC, trainableFrom });
  const weights = tf.randomUniform([3, 4, 4, 5], -1, 1, 'float32', 12);
  const values = (g: tf.NamedTensorMap) => top.trainableVariables.map((v) => (g[v.name]!.dataSync() as Float32Array).slice());
  const out = [model.predict(images) as tf.Tensor, top.apply(cut)].map((t) => (t.dataSync() as Float32Array).slice());
  const got = values(tfw.variableGrads(() => tf.sum(tf.mul(top.apply(cut), weights)), top.trainableVariables).grads);
  await tf.setBackend('cpu');
  try {
    return { ref: values(tf.variableGrads(() => referenceLoss(model, cut, weights), top.trainableVariables).grads), got, out };
  } finally {
    await tf.setBackend('wasm');
  }
}

function assertClose(got: Float32Array, want: Float32Array, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * scale, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

test('the top block computes what the model computes, and its gradients match TF.js autodiff on CPU', async () => {
  const { ref, got, out } = await gradients('conv_dw_2');
  assertClose(out[1]!, out[0]!, 'feature activations');
  assert.equal(got.length, 2 * (1 + 2 + 1 + 2));
  got.forEach((g, i) => assertClose(g, ref[i]!, `gradient ${i}`));
});

test('layers below trainableFrom stay frozen but still compute', async () => {
  const { ref, got, out } = await gradients('conv_dw_3');
  assertClose(out[1]!, out[0]!, 'feature activations');
  assert.equal(got.length, 6);
  got.forEach((g, i) => assertClose(g, ref[i]!, `gradient ${i}`));
});

test('layers it cannot compute exactly are refused by name', async () => {
  await initWasmBackend();
  const input = tf.input({ shape: [4, 4, 2] });
  const relu = tf.layers.activation({ name: 'cut', activation: 'relu6' }).apply(input) as tf.SymbolicTensor;
  const conv = tf.layers
    .conv2d({ name: 'wide', filters: 2, kernelSize: 3, padding: 'same', useBias: false })
    .apply(relu) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: conv });
  assert.throws(
    () => TopBlock.fromModel(model, { cutLayer: 'cut', featureLayer: 'wide', trainableFrom: 'wide' }),
    /wide \(Conv2D .*\) is not supported/,
  );
  assert.throws(() => TopBlock.fromModel(model, { cutLayer: 'cut', featureLayer: 'wide', trainableFrom: 'cut' }), /cut is not between/);
});
