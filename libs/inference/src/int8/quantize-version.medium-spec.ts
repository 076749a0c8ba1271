import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { loadEngine } from '../engine/select-engine';
import { readManifest, resolveModelDir, INT8_ONNX_FILE, INT8_REPORT_FILE } from '@pneumoscreen/model-format';
import { QuantizationRejectedError, quantizeVersion } from './quantize-version';

/** The committed release without its int8 model, copied so that the test can write into it. */
async function releaseCopy(): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'int8-')), 'version');
  const int8 = new Set([INT8_ONNX_FILE, INT8_REPORT_FILE]);
  await cp(await resolveModelDir(path.join(repoRoot(), 'models/releases')), dir, {
    recursive: true,
    filter: (from) => !int8.has(path.basename(from)),
  });
  return dir;
}

/** `count` real X-rays of each class, every `step`-th file from `offset` on, preprocessed. */
async function xrays(dir: string, count: number, offset: number): Promise<{ images: Float32Array[]; labels: (0 | 1)[] }> {
  const { preprocessing } = await readManifest(dir);
  const data = path.join(sharedDir(), 'data/kermany224-train');
  const images: Float32Array[] = [];
  const labels: (0 | 1)[] = [];
  for (const [label, name] of [
    [0, 'NORMAL'],
    [1, 'PNEUMONIA'],
  ] as const) {
    const files = (await readdir(path.join(data, name))).sort();
    for (let i = 0; i < count; i++) {
      images.push(await preprocess(await readFile(path.join(data, name, files[offset + i * 37]!)), preprocessing));
      labels.push(label);
    }
  }
  return { images, labels };
}

test('the released model quantised on real X-rays agrees with the float model and serves as onnxruntime-int8', async () => {
  const dir = await releaseCopy();
  const manifest = await readManifest(dir);
  const calibration = await xrays(dir, 32, 0);
  const check = await xrays(dir, 32, 11);
  const report = await quantizeVersion(dir, {
    calibration: calibration.images,
    check: check.images,
    checkLabels: check.labels,
    minAgreement: 0.95,
  });
  assert.equal(report.checkImages, 64);
  assert.ok(report.decisionAgreement >= 0.95, `decisions alike on ${report.decisionAgreement}`);
  assert.ok(report.meanProbabilityDifference < 0.05, `mean probability difference ${report.meanProbabilityDifference}`);
  assert.ok(report.auc && report.auc.int8 > report.auc.float32 - 0.02, `ROC AUC ${JSON.stringify(report.auc)}`);
  assert.ok(report.sizes.int8 < report.sizes.float32 / 3, 'int8 weights take a quarter of the bytes');
  assert.deepEqual(JSON.parse(await readFile(path.join(dir, INT8_REPORT_FILE), 'utf8')), report);

  const [int8, float32] = await Promise.all([
    loadEngine(dir, manifest, { engine: 'onnxruntime-int8', threads: 1 }),
    loadEngine(dir, manifest, { engine: 'onnxruntime', threads: 1 }),
  ]);
  try {
    assert.equal(int8.name, 'onnxruntime-cpu-int8');
    const size = check.images[0]!.length;
    const batch = new Float32Array(check.images.length * size);
    check.images.forEach((image, i) => batch.set(image, i * size));
    const [p8, p32] = [await int8.predict(batch.slice(), check.images.length), await float32.predict(batch, check.images.length)];
    const alike = p8.filter((p, i) => p >= manifest.threshold === p32[i]! >= manifest.threshold).length;
    assert.equal(alike / p8.length, report.decisionAgreement, 'the engine runs the model the report describes');
    assert.ok(
      p8.some((p, i) => p !== p32[i]),
      'and that model is not the float one',
    );
  } finally {
    await Promise.all([int8.dispose(), float32.dispose()]);
  }
});

test('an int8 model calibrated on the wrong images is refused and nothing is written', async () => {
  const dir = await releaseCopy();
  const check = await xrays(dir, 16, 5);
  // Blank images give ranges far narrower than X-rays need: the int8 model saturates.
  const blank = Array.from({ length: 4 }, () => new Float32Array(check.images[0]!.length));
  await assert.rejects(
    quantizeVersion(dir, { calibration: blank, check: check.images }),
    (e: unknown) =>
      e instanceof QuantizationRejectedError &&
      /calls \d+\.\d% of the check images differently/.test(e.message) &&
      e.report.decisionAgreement < 0.98,
  );
  assert.ok(!(await readdir(dir)).some((f) => f === INT8_ONNX_FILE || f === INT8_REPORT_FILE));
});
