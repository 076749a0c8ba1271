import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import { assignWeights, WeightImportError } from './assign';
import type { SourceLayer, WeightSource } from './weight-source';

async function smallModel(): Promise<tf.LayersModel> {
  await initWasmBackend();
  const input = tf.input({ shape: [4, 4, 2], name: 'input_1' });
  const conv = tf.layers.conv2d({ name: 'conv', filters: 3, kernelSize: 3, padding: 'same' }).apply(input);
  const bn = tf.layers.batchNormalization({ name: 'conv_bn' }).apply(conv);
  return tf.model({ name: 'small', inputs: input, outputs: bn as tf.SymbolicTensor });
}

const ramp = (n: number, from: number) => Float32Array.from({ length: n }, (_, i) => from + i / 8);

function source(overrides: Partial<Record<string, SourceLayer>> = {}): WeightSource {
  const layers: SourceLayer[] = [
    {
      name: 'conv',
      weights: [
        { name: 'conv/kernel', shape: [3, 3, 2, 3], values: ramp(54, -3) },
        { name: 'conv/bias', shape: [3], values: ramp(3, 1) },
      ],
    },
    {
      name: 'conv_bn',
      weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w, i) => ({
        name: `conv_bn/${w}`,
        shape: [3],
        values: ramp(3, 10 * (i + 1)),
      })),
    },
    { name: 'predictions', weights: [{ name: 'predictions/kernel', shape: [3, 2], values: ramp(6, 0) }] },
  ];
  return { format: 'keras-h5-weights', layers: layers.map((l) => overrides[l.name] ?? l) };
}

const valuesOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

test('weights land on the layers of the same name; extra source layers are reported, not used', async () => {
  const model = await smallModel();
  const report = assignWeights(model, source(), 'w.h5');
  assert.deepEqual(report, { layersMatched: 2, params: 54 + 3 + 4 * 3, ignoredLayers: ['predictions'] });
  const want = source()
    .layers.slice(0, 2)
    .flatMap((l) => l.weights.map((w) => Array.from(w.values)));
  assert.deepEqual(valuesOf(model), want);
});

test('same-shaped weights are matched by their Keras names, not by the order they are stored in', async () => {
  const model = await smallModel();
  const bn = source().layers[1]!;
  const reordered = { ...bn, weights: [bn.weights[3]!, bn.weights[2]!, bn.weights[0]!, bn.weights[1]!] };
  assignWeights(model, source({ conv_bn: reordered }), 'w.h5');
  const movingVariance = model.getLayer('conv_bn').getWeights()[3]!;
  assert.deepEqual(Array.from(movingVariance.dataSync()), Array.from(bn.weights[3]!.values));
});

test('a missing layer fails naming it and what the file has, and changes nothing', async () => {
  const model = await smallModel();
  const before = valuesOf(model);
  const without = { format: 'keras-h5-weights' as const, layers: source().layers.filter((l) => l.name !== 'conv_bn') };
  assert.throws(
    () => assignWeights(model, without, 'w.h5'),
    (e: unknown) =>
      e instanceof WeightImportError &&
      e.layer === 'conv_bn' &&
      /^w\.h5 does not fit small: layer "conv_bn" \(gamma \[3\], beta \[3\], moving_mean \[3\], moving_variance \[3\]\) is not in it; its layers with weights are conv, predictions$/.test(
        e.message,
      ),
  );
  assert.deepEqual(valuesOf(model), before);
});

test('a weight of the wrong shape fails naming the layer and the weight', async () => {
  const model = await smallModel();
  const conv = source().layers[0]!;
  const wrong = { ...conv, weights: [{ ...conv.weights[0]!, shape: [3, 3, 3, 2], values: ramp(54, 0) }, conv.weights[1]!] };
  assert.throws(
    () => assignWeights(model, source({ conv: wrong }), 'w.h5'),
    (e: unknown) =>
      e instanceof WeightImportError &&
      e.layer === 'conv' &&
      e.weight === 'kernel' &&
      e.message === 'w.h5 does not fit small: layer "conv" weight "kernel" must be [3,3,2,3], the file\'s conv/kernel is [3,3,3,2]',
  );
});

test('a layer with a different number of weights fails naming the layer', async () => {
  const model = await smallModel();
  const conv = source().layers[0]!;
  assert.throws(
    () => assignWeights(model, source({ conv: { ...conv, weights: [conv.weights[0]!] } }), 'w.h5'),
    /layer "conv" needs 2 weights \(kernel \[3,3,2,3\], bias \[3\]\), the file has 1 \(conv\/kernel \[3,3,2,3\]\)/,
  );
});
