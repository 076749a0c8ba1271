import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { classifierHead, logitGradient } from '@pneumoscreen/inference';
import { readTopology } from '@pneumoscreen/onnx';
import { buildClassifier } from './classifier';

test("on a TF.js classifier, the head read from its model.json gives TF.js autodiff's Grad-CAM weights", async () => {
  // Pure-JS kernels: this compares gradients, not backends.
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [8, 8, 3] });
  const conv = tf.layers.conv2d({
    name: 'conv',
    filters: 6,
    kernelSize: 3,
    padding: 'same',
    activation: 'relu',
    kernelInitializer: tf.initializers.randomNormal({ seed: 3 }),
  });
  const backbone = tf.model({ inputs: input, outputs: conv.apply(input) as tf.SymbolicTensor });
  const model = buildClassifier(backbone, { seed: 7, hiddenUnits: 5 });
  const saved = await new Promise<tf.io.ModelArtifacts>(
    (resolve) =>
      void model.save(
        tf.io.withSaveHandler(async (a) => (resolve(a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
      ),
  );
  const weightsByName = new Map(model.weights.map((w) => [w.originalName, w.read()]));
  const head = classifierHead(readTopology(saved.modelTopology), (layer, role) => {
    const t = weightsByName.get(`${layer}/${role}`);
    return t && { shape: t.shape, data: t.dataSync() as Float32Array };
  });
  assert.deepEqual(
    head.layers.map((l) => [l.inputs, l.units, l.activation]),
    [
      [6, 5, 'relu'],
      [5, 1, 'sigmoid'],
    ],
  );

  const image = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 11);
  const activations = backbone.predict(image) as tf.Tensor4D;
  // The logit (pre-sigmoid) as a function of the activations, through TF.js' own layers.
  const logit = (a: tf.Tensor) => {
    let x = model.getLayer('features_gap').apply(a) as tf.Tensor;
    x = model.getLayer('head_dense').apply(x) as tf.Tensor;
    const out = model.getLayer('head_output') as tf.layers.Layer & { kernel: tf.LayerVariable; bias: tf.LayerVariable };
    return tf.add(tf.matMul(x as tf.Tensor2D, out.kernel.read() as tf.Tensor2D), out.bias.read()).sum();
  };
  const grads = tf.grad(logit)(activations);
  // Grad-CAM's weights: the gradient averaged over positions, per channel.
  const expected = Array.from(grads.mean([0, 1, 2]).dataSync());
  const pooled = activations.mean([1, 2]).dataSync() as Float32Array;
  const analytic = Array.from(logitGradient(pooled, head), (g) => g / 64);
  analytic.forEach((g, k) => assert.ok(Math.abs(g - expected[k]!) < 1e-6, `channel ${k}: ${g} vs ${expected[k]}`));
  assert.ok(
    analytic.some((g) => Math.abs(g) > 1e-4),
    'the gradient is not trivially zero',
  );
  model.dispose();
});
