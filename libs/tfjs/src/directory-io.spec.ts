import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initWasmBackend } from './backend';
import { directoryLoader, directorySaver } from './directory-io';

test('a saved model loads back with identical outputs, as model.json + one weights.bin', async () => {
  const tf = await initWasmBackend();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 3, inputShape: [4], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({
        units: 1,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        biasInitializer: 'ones',
      }),
    ],
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-io-'));
  await model.save(directorySaver(dir));
  assert.deepEqual((await readdir(dir)).sort(), ['model.json', 'weights.bin']);

  const loaded = await tf.loadLayersModel(directoryLoader(dir));
  const x = tf.tensor2d([
    [1, 2, 3, 4],
    [-1, 0.5, 0, 2],
  ]);
  const want = (model.predict(x) as typeof x).arraySync();
  const got = (loaded.predict(x) as typeof x).arraySync();
  assert.deepEqual(got, want);
});

test('weight paths that leave the model folder are refused', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-io-'));
  const modelJson = { modelTopology: {}, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] };
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  await assert.rejects(directoryLoader(dir).load!(), /points outside the model folder/);
});
