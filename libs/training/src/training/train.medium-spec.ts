import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAEDIATRIC_CHEST } from '@pneumoscreen/contracts';
import { mkdir, mkdtemp, readdir, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { preprocess } from '@pneumoscreen/imaging';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { loadModelVersion } from '@pneumoscreen/inference';
import { resolveModelDir } from '@pneumoscreen/model-format';
import { trainModel } from './train';
import { TRAINING_DEFAULTS, type TrainProgress } from './train-options';
import { testTimeAugmentation } from './tta';

const REPO_ROOT = repoRoot();
const DATA = path.join(sharedDir(), 'data/kermany224-train');
const PER_CLASS = 10;

async function tinyDataset(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'train-data-'));
  for (const label of ['NORMAL', 'PNEUMONIA']) {
    await mkdir(path.join(root, label));
    for (const name of (await readdir(path.join(DATA, label))).sort().slice(0, PER_CLASS)) {
      await symlink(path.join(DATA, label, name), path.join(root, label, name));
    }
  }
  return root;
}

test('both phases run on real X-rays into a version folder that serves what was measured', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'train-out-'));
  const events: TrainProgress[] = [];
  const options = {
    dataDir: await tinyDataset(),
    backbone: 'mobilenet',
    backboneDir: path.join(REPO_ROOT, 'models/base/mobilenet_v1_0.75_224'),
    outDir: path.join(work, 'releases'),
    cacheDir: path.join(work, 'cache'),
    targetSensitivity: 0.95,
    thresholdMethod: TRAINING_DEFAULTS.thresholdMethod,
    thresholdConfidence: TRAINING_DEFAULTS.thresholdConfidence,
    seed: 7,
    maxEpochs: 3,
    patience: 3,
    fineTuneBlocks: 1,
    fineTuneEpochs: 1,
    fineTunePatience: 1,
    fineTuneLearningRate: 1e-5,
    valFraction: 0.3,
    workers: 1,
    augmentCopies: 1,
    shapeSwapCopies: 1,
    // Both soft-target levers on, so both phases (pooled features, then 4-D activations) run them.
    labelSmoothing: 0.1,
    mixupAlpha: 0.4,
    codeVersion: 'test',
    onProgress: (e: TrainProgress) => events.push(e),
  };
  const { versionDir, manifest, thresholdMethods } = await trainModel(options);

  assert.equal(await resolveModelDir(options.outDir), versionDir);
  // 20 films are too few to fit an image-content guard: the version is made without one.
  assert.deepEqual((await readdir(versionDir)).sort(), [
    'manifest.json',
    'metrics.json',
    'model.json',
    'roc.png',
    'training.png',
    'weights.bin',
  ]);
  assert.deepEqual(manifest.intendedUse, PAEDIATRIC_CHEST);
  for (const png of ['roc.png', 'training.png']) assert.equal((await sharp(path.join(versionDir, png)).metadata()).format, 'png');
  assert.deepEqual(Object.keys(manifest.metrics), ['validation', 'validationHead', 'validationTta', 'aspectNarrower', 'aspectWider']);
  assert.equal(manifest.metrics['aspectNarrower']!.threshold, manifest.threshold);
  const training = manifest.data['training'] as { shapeSwap: { copiesPerImage: number }; labelSmoothing?: number; mixupAlpha?: number };
  assert.equal(training.shapeSwap.copiesPerImage, 1);
  assert.equal(training.labelSmoothing, 0.1);
  assert.equal(training.mixupAlpha, 0.4);
  // Swapped copies are made for training images only, per label.
  const split = manifest.data['split'] as { train: { NORMAL: number; PNEUMONIA: number } };
  const swapPasses = new Map(
    events.flatMap((e) => (e.phase === 'extract' && e.pass.startsWith('shape-swapped') ? [[e.pass, e.total] as const] : [])),
  );
  assert.deepEqual(
    [...swapPasses],
    [
      ['shape-swapped 1/1, NORMAL', split.train.NORMAL],
      ['shape-swapped 1/1, PNEUMONIA', split.train.PNEUMONIA],
    ],
  );
  assert.equal(manifest.threshold, manifest.metrics['validation']!.threshold);
  assert.deepEqual((manifest.data['backbone'] as { fineTunedLayers: string[] }).fineTunedLayers, [
    'conv_dw_13',
    'conv_dw_13_bn',
    'conv_pw_13',
    'conv_pw_13_bn',
  ]);
  const metricsJson = JSON.parse(await readFile(path.join(versionDir, 'metrics.json'), 'utf8'));
  assert.ok(metricsJson.validation.roc.length >= 2);
  // The threshold comes from the rule asked for, recorded with the table of every method.
  assert.deepEqual([manifest.thresholdRule?.method, manifest.thresholdRule?.confidence], ['binormal', 0.95]);
  assert.deepEqual(
    thresholdMethods.filter((r) => r.used).map((r) => r.threshold),
    [manifest.threshold],
  );
  assert.deepEqual(metricsJson.thresholdMethods, thresholdMethods);
  assert.deepEqual(
    metricsJson.stages.map((s: { history: unknown[] }) => s.history.length > 0),
    [true, true],
  );
  const stages = new Set(events.flatMap((e) => (e.phase === 'train' ? [e.stage] : [])));
  assert.deepEqual([...stages], ['head', 'fine-tune']);
  assert.equal(testTimeAugmentation(manifest).views.length, 2);

  // A second run finds every activation in the cache.
  const again: TrainProgress[] = [];
  await trainModel({ ...options, fineTuneEpochs: 0, onProgress: (e) => again.push(e) });
  const extracts = again.flatMap((e) => (e.phase === 'extract' ? [e] : []));
  assert.ok(extracts.every((e) => e.fromCache === e.total));

  // The worker's loader serves the folder (the export check inside trainModel compared scores).
  const { engine } = await loadModelVersion(versionDir, { engine: 'tfjs-wasm' });
  try {
    const bytes = await readFile(path.join(DATA, 'NORMAL', (await readdir(path.join(DATA, 'NORMAL'))).sort()[0]!));
    const [p] = await engine.predict(await preprocess(bytes, manifest.preprocessing), 1);
    assert.ok(p! >= 0 && p! <= 1);
  } finally {
    await engine.dispose();
  }
});
