import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { preprocess } from '@pneumoscreen/imaging';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { buildBackbone, preprocessingFor } from '../architectures/backbone';
import { initWasmBackend, directoryLoader } from '@pneumoscreen/tfjs';
import { WeightImportError } from './assign';
import { kerasH5, kerasLayersOf, knownWeights } from './keras-h5.test-harness';
import { BASE_MODEL_FILE } from '@pneumoscreen/model-format';
import { importBaseModel, type BaseModelInfo } from './import';
import { readKerasH5 } from './keras-h5';

const TEACHABLE = () => path.join(sharedDir(), 'models/teachable-machine-chestxray');
const MOBILENET_BASE = () => path.join(repoRoot(), 'models/base/mobilenet_v1_0.75_224');
/** A fresh folder, removed when the test ends. */
async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keras-import-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a Keras VGG16 weights file written here imports with every weight exact, and the model runs', async (t) => {
  const tf = await initWasmBackend();
  const reference = await buildBackbone('vgg16', { inputSize: [32, 32] });
  const layers = kerasLayersOf(reference);
  reference.dispose();
  // Plus a classifier, as in a file saved with include_top, for the import to leave out.
  layers.push({ name: 'predictions', weights: [{ name: 'predictions/kernel:0', shape: [512, 2], values: knownWeights([512, 2], 999) }] });
  const dir = await tempDir(t);
  const file = path.join(dir, 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
  const bytes = kerasH5(layers);
  await writeFile(file, bytes);

  const { dir: out, info } = await importBaseModel({ arch: 'vgg16', source: file, outParent: dir, inputSize: [32, 32] });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  assert.deepEqual({ ...info, createdAt: 'x' }, {
    kind: 'base',
    version: `vgg16-${sha256.slice(0, 12)}-32x32`,
    architecture: 'vgg16',
    format: 'tfjs-layers',
    modelFile: 'model.json',
    preprocessing: { mode: 'caffe', inputSize: [32, 32], channels: 3 },
    featureLayer: 'block5_pool',
    featureDim: 512,
    source: { file: path.basename(file), format: 'keras-h5-weights', sha256 },
    layersMatched: 13,
    params: 14_714_688,
    ignoredLayers: ['predictions'],
    createdAt: 'x',
  } satisfies BaseModelInfo);
  assert.deepEqual((await readdir(out)).sort(), [BASE_MODEL_FILE, 'model.json', 'weights.bin']);
  assert.deepEqual(JSON.parse(await readFile(path.join(out, BASE_MODEL_FILE), 'utf8')), info);

  const loaded = await tf.loadLayersModel(directoryLoader(out));
  const written = new Map(layers.map((l) => [l.name, l.weights]));
  let checked = 0;
  for (const layer of loaded.layers) {
    layer.getWeights().forEach((w, i) => {
      assert.deepEqual(w.dataSync(), written.get(layer.name)![i]!.values, `${layer.name} weight ${i}`);
      checked++;
    });
  }
  assert.equal(checked, 26);
  const x = tf.randomUniform([2, 32, 32, 3], -120, 130, 'float32', 7);
  const y = loaded.predict(x) as tfTypes.Tensor;
  assert.deepEqual(y.shape, [2, 1, 1, 512]);
  const values = y.dataSync();
  assert.ok(values.every(Number.isFinite) && values.some((v) => v > 0), 'VGG16 gives finite, non-zero features');
  tf.dispose([x, y]);
  loaded.dispose();
});

test('the teachable-machine keras_model.h5 reads as exactly the weights of its TF.js conversion', async () => {
  const tf = await initWasmBackend();
  const source = readKerasH5(await readFile(path.join(TEACHABLE(), 'keras_model.h5')), 'keras_model.h5');
  assert.equal(source.format, 'keras-h5-model');
  const fromH5 = new Map(source.layers.flatMap((l) => l.weights.map((w) => [w.name, w] as const)));

  const artifacts = await directoryLoader(path.join(TEACHABLE(), 'tfjs')).load!();
  const converted = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  try {
    assert.deepEqual([...fromH5.keys()].sort(), Object.keys(converted).sort());
    assert.equal(fromH5.size, 263);
    for (const [name, tensor] of Object.entries(converted)) {
      const w = fromH5.get(name)!;
      assert.deepEqual(w.shape, tensor.shape, name);
      const want = tensor.dataSync();
      for (let i = 0; i < want.length; i++)
        assert.ok(Math.abs(w.values[i]! - want[i]!) <= 1e-6, `${name}[${i}]: ${w.values[i]} vs ${want[i]}`);
    }
  } finally {
    tf.dispose(Object.values(converted));
  }
});

test('importing the MobileNetV2 keras_model.h5 as vgg16 fails naming block1_conv1 and writes nothing', async (t) => {
  const out = await tempDir(t);
  await assert.rejects(
    importBaseModel({ arch: 'vgg16', source: path.join(TEACHABLE(), 'keras_model.h5'), outParent: out }),
    (e: unknown) =>
      e instanceof WeightImportError &&
      e.layer === 'block1_conv1' &&
      e.message.startsWith(
        'keras_model.h5 does not fit vgg16: layer "block1_conv1" (kernel [3,3,3,64], bias [64]) is not in it; its layers with weights are Conv1, bn_Conv1,',
      ),
  );
  assert.deepEqual(await readdir(out), []);
});

test('a TF.js layers folder imports too: MobileNet from models/base computes the same features as the original', async (t) => {
  const tf = await initWasmBackend();
  const out = await tempDir(t);
  const { dir, info } = await importBaseModel({ arch: 'mobilenet', source: MOBILENET_BASE(), outParent: out });
  assert.equal(info.source.format, 'tfjs-layers');
  assert.deepEqual([info.layersMatched, info.params, info.ignoredLayers], [54, 1_832_976, ['conv_preds']]);

  const original = await tf.loadLayersModel(directoryLoader(MOBILENET_BASE()));
  const features = tf.model({ inputs: original.inputs, outputs: original.getLayer('conv_pw_13_relu').output });
  const imported = await tf.loadLayersModel(directoryLoader(dir));
  const image = path.join(sharedDir(), 'data/kermany224-train/NORMAL/IM-0115-0001.jpeg');
  const x = tf.tensor4d(await preprocess(await readFile(image), preprocessingFor('mobilenet')), [1, 224, 224, 3]);
  const want = (features.predict(x) as tfTypes.Tensor).dataSync() as Float32Array;
  const got = (imported.predict(x) as tfTypes.Tensor).dataSync() as Float32Array;
  assert.equal(got.length, 7 * 7 * 768);
  const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
  original.dispose();
  imported.dispose();
});

test('bad sources and an existing output folder are refused with clear errors', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(importBaseModel({ arch: 'vgg16', source: path.join(dir, 'nope.h5') }), /no such file or folder: .*nope\.h5/);
  await assert.rejects(importBaseModel({ arch: 'vgg16', source: dir }), /is a folder without model.json, so not a TF.js layers model/);
  await assert.rejects(
    importBaseModel({ arch: 'resnet' as 'vgg16', source: dir }),
    /unknown architecture "resnet" \(known: vgg16, mobilenet\)/,
  );
  await assert.rejects(
    importBaseModel({ arch: 'mobilenet', source: MOBILENET_BASE(), outDir: dir }),
    /already exists; remove it or choose another --out/,
  );
});
