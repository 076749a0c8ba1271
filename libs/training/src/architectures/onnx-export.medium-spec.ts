import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { buildClassifier } from './classifier';
import { buildMobilenetV1 } from './mobilenet-v1';
import { buildVgg16 } from './vgg16';
import { initWasmBackend, directorySaver } from '@pneumoscreen/tfjs';
import { convertModelDir } from '@pneumoscreen/onnx';

// The smallest input both backbones take (five stride-2 stages), so a full-depth network runs in
// well under a second. Glorot weights from the builders keep activations in range.
const SIZE: [number, number] = [32, 32];

/** Trained-looking batch-norm statistics, so that folding them into the convs is exercised. */
function perturbBatchNorms(tf: typeof tfTypes, model: tfTypes.LayersModel): void {
  let i = 0;
  const wave = (base: number, spread: number) => (n: number) => Float32Array.from({ length: n }, () => base + spread * Math.sin(++i));
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const [gamma, beta, mean, variance] = [wave(1, 0.3), wave(0, 0.2), wave(0, 0.3), wave(1, 0.4)];
    const n = layer.getWeights()[0]!.size;
    layer.setWeights([gamma(n), beta(n), mean(n), variance(n)].map((v) => tf.tensor1d(v)));
  }
}

async function compare(tf: typeof tfTypes, model: tfTypes.LayersModel): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'onnx-arch-'));
  await model.save(directorySaver(dir));
  const x = Float32Array.from({ length: 2 * SIZE[0] * SIZE[1] * 3 }, (_, i) => Math.sin(i * 0.11));
  const expected = (model.predict(tf.tensor4d(x, [2, ...SIZE, 3])) as tfTypes.Tensor).dataSync();
  const session = await ort.InferenceSession.create(await convertModelDir(dir));
  try {
    const actual = (await session.run({ input: new ort.Tensor('float32', x, [2, ...SIZE, 3]) })).output!.data as Float32Array;
    assert.equal(actual.length, expected.length);
    assert.ok(
      expected.some((p) => p > 0.01 && p < 0.99),
      `outputs ${Array.from(expected)} saturate: the check would prove little`,
    );
    expected.forEach((e, i) => assert.ok(Math.abs(e - actual[i]!) < 1e-5, `output ${i}: TF.js ${e}, ONNX ${actual[i]}`));
  } finally {
    await session.release();
  }
}

test('the VGG16 classifier (13 convs, 5 max pools, GAP, dense head) converts exactly', async () => {
  const tf = await initWasmBackend();
  await compare(tf, buildClassifier(buildVgg16(SIZE), { seed: 1 }));
});

test('the MobileNet v1 classifier (depthwise and pointwise convs, folded batch norms, ReLU6) converts exactly', async () => {
  const tf = await initWasmBackend();
  const model = buildClassifier(buildMobilenetV1(SIZE), { seed: 2 });
  perturbBatchNorms(tf, model);
  await compare(tf, model);
});
