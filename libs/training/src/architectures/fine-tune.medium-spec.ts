import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { preprocess } from '@pneumoscreen/imaging';
import { sharedDir } from '@pneumoscreen/testing';
import { TfjsWasmEngine } from '@pneumoscreen/inference';
import { importBaseModel } from '../keras-import/import';
import { kerasH5, kerasLayersOf } from '../keras-import/keras-h5.test-harness';
import { directoryLoader, directorySaver } from '@pneumoscreen/tfjs';
import { initWasmTrainingBackend } from '../tfjs/wasm-training-kernels';
import { ARCHITECTURES, buildBackbone, preprocessingFor } from './backbone';
import { buildClassifier, trainableFrom } from './classifier';

/** VGG16's convolutions take the 224 px ImageNet weights at any size; 32 px keeps CPU steps short. */
const SIZE: [number, number] = [32, 32];
const PER_CLASS = 4;

async function xrays(): Promise<{ x: Float32Array; y: Float32Array }> {
  const root = path.join(sharedDir(), 'data/kermany224-train');
  const inputs: Float32Array[] = [];
  const labels: number[] = [];
  for (const [label, cls] of ['NORMAL', 'PNEUMONIA'].entries()) {
    const files = (await readdir(path.join(root, cls)))
      .filter((f) => f.endsWith('.jpeg'))
      .sort()
      .slice(0, PER_CLASS);
    for (const f of files) {
      inputs.push(await preprocess(await readFile(path.join(root, cls, f)), preprocessingFor('vgg16', SIZE)));
      labels.push(label);
    }
  }
  const x = new Float32Array(inputs.length * SIZE[0] * SIZE[1] * 3);
  inputs.forEach((input, i) => x.set(input, i * input.length));
  return { x, y: Float32Array.from(labels) };
}

const snapshot = (model: tfTypes.LayersModel) =>
  new Map(model.weights.map((w) => [w.originalName, w.read().dataSync().slice() as Float32Array]));
const changed = (a: Float32Array, b: Float32Array) => a.some((v, i) => v !== b[i]);

test('VGG16 from imported Keras weights fine-tunes block 5 and the head, then saves, loads and classifies alike', async (t) => {
  const tf = await initWasmTrainingBackend();
  const dir = await mkdtemp(path.join(tmpdir(), 'vgg16-fine-tune-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  const keras = await buildBackbone('vgg16', { inputSize: SIZE });
  await writeFile(path.join(dir, 'vgg16.h5'), kerasH5(kerasLayersOf(keras)));
  keras.dispose();
  const base = await importBaseModel({
    arch: 'vgg16',
    source: path.join(dir, 'vgg16.h5'),
    outDir: path.join(dir, 'base'),
    inputSize: SIZE,
  });
  const model = buildClassifier(await tf.loadLayersModel(directoryLoader(base.dir)), { seed: 3 });
  trainableFrom(model, ARCHITECTURES.vgg16.topBlockStart);
  model.compile({ optimizer: tf.train.adam(1e-4), loss: 'binaryCrossentropy' });

  const { x, y } = await xrays();
  const n = y.length;
  const xs = tf.tensor4d(x, [n, SIZE[0], SIZE[1], 3]);
  const ys = tf.tensor2d(y, [n, 1]);
  const before = snapshot(model);
  const history = await model.fit(xs, ys, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.equal(losses.length, 3);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);

  const after = snapshot(model);
  for (const [name, was] of before) {
    const trainable = /^(block5_|head_)/.test(name);
    assert.equal(changed(was, after.get(name)!), trainable, `${name} should ${trainable ? '' : 'not '}have changed`);
  }

  const versionDir = path.join(dir, 'version');
  await model.save(directorySaver(versionDir));
  const want = (model.predict(xs) as tfTypes.Tensor).dataSync() as Float32Array;
  const loaded = await tf.loadLayersModel(directoryLoader(versionDir));
  assert.deepEqual((loaded.predict(xs) as tfTypes.Tensor).dataSync(), want);

  const engine = await TfjsWasmEngine.load(versionDir, 'model.json', SIZE);
  try {
    const served = await engine.predict(x, n);
    served.forEach((p, i) => assert.ok(Math.abs(p - want[i]!) < 1e-6, `image ${i}: served ${p}, trained model ${want[i]}`));
  } finally {
    await engine.dispose();
  }
  tf.dispose([xs, ys]);
  model.dispose();
  loaded.dispose();
});
