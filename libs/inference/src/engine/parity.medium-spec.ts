import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { OnnxEngine } from './onnx-engine';
import { TfjsWasmEngine } from './tfjs-wasm-engine';
import { readManifest, resolveModelDir } from '@pneumoscreen/model-format';
import { convertModelDir } from '@pneumoscreen/onnx';

const PER_CLASS = 16;

/** Real X-rays from both classes, preprocessed for `manifest`, as one NHWC batch. */
async function xrayBatch(preprocessing: Parameters<typeof preprocess>[1]): Promise<{ batch: Float32Array; count: number; size: number }> {
  const data = path.join(sharedDir(), 'data/kermany224-train');
  const inputs: Float32Array[] = [];
  for (const label of ['NORMAL', 'PNEUMONIA']) {
    // Spread over the folder rather than its first files, which come from few patients.
    const names = (await readdir(path.join(data, label))).sort();
    const picked = Array.from({ length: PER_CLASS }, (_, i) => names[Math.floor((i * names.length) / PER_CLASS)]!);
    for (const name of picked) inputs.push(await preprocess(await readFile(path.join(data, label, name)), preprocessing));
  }
  const size = inputs[0]!.length;
  const batch = new Float32Array(inputs.length * size);
  inputs.forEach((x, i) => batch.set(x, i * size));
  return { batch, count: inputs.length, size };
}

test('the released model gives the same probabilities on TF.js WASM and on ONNX Runtime (within 1e-4)', async () => {
  const dir = await resolveModelDir(path.join(repoRoot(), 'models/releases'));
  const manifest = await readManifest(dir);
  const { batch, count, size } = await xrayBatch(manifest.preprocessing);
  const tfjs = await TfjsWasmEngine.load(dir, manifest.modelFile, manifest.preprocessing.inputSize);
  const onnx = await OnnxEngine.load(await convertModelDir(dir, manifest.modelFile), manifest.preprocessing.inputSize);
  try {
    const expected = await tfjs.predict(batch.slice(), count);

    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    const actual = await onnx.predict(batch.slice(), count);
    const batchMs = Date.now() - started;
    clearInterval(timer);
    // A session run on this thread would hold the timer off for the whole call.
    assert.ok(ticks >= Math.floor(batchMs / 5 / 4), `event loop ticked ${ticks} times during a ${batchMs} ms call`);

    const diffs = Array.from(expected, (e, i) => Math.abs(e - actual[i]!));
    assert.ok(Math.max(...diffs) <= 1e-4, `largest difference ${Math.max(...diffs)}: ${diffs.map((d) => d.toExponential(1)).join(' ')}`);
    // The X-rays must spread over the range, or agreement near 0 or 1 would prove little.
    assert.ok(Math.min(...expected) < 0.5 && Math.max(...expected) > 0.5, `probabilities ${Array.from(expected).join(' ')}`);

    for (const i of [0, count - 1]) {
      const [single] = await onnx.predict(batch.slice(i * size, (i + 1) * size), 1);
      assert.ok(Math.abs(single! - actual[i]!) <= 1e-5, `image ${i}: alone ${single}, in batch ${actual[i]}`);
    }
  } finally {
    await Promise.all([tfjs.dispose(), onnx.dispose()]);
  }
});

test('both engines give the same NHWC feature map, only when asked, and its average is the pooled features the head reads', async () => {
  const dir = await resolveModelDir(path.join(repoRoot(), 'models/releases'));
  const manifest = await readManifest(dir);
  const { batch, size } = await xrayBatch(manifest.preprocessing);
  const two = batch.slice(0, 2 * size);
  const tfjs = await TfjsWasmEngine.load(dir, manifest.modelFile, manifest.preprocessing.inputSize);
  const onnx = await OnnxEngine.load(await convertModelDir(dir, manifest.modelFile), manifest.preprocessing.inputSize);
  try {
    assert.equal((await onnx.score(two.slice(), 2)).featureMap, undefined);
    const [a, b] = [await tfjs.score(two.slice(), 2, { featureMap: true }), await onnx.score(two.slice(), 2, { featureMap: true })];
    assert.deepEqual(a.featureMapShape, [7, 7, 768]);
    assert.deepEqual(b.featureMapShape, [7, 7, 768]);
    const diff = Math.max(...Array.from(a.featureMap!, (v, i) => Math.abs(v - b.featureMap![i]!)));
    assert.ok(diff < 1e-3, `largest feature-map difference ${diff}`);
    const [h, w, c] = b.featureMapShape!;
    for (let image = 0; image < 2; image++) {
      for (const k of [0, 100, c - 1]) {
        let sum = 0;
        for (let p = 0; p < h * w; p++) sum += b.featureMap![(image * h * w + p) * c + k]!;
        assert.ok(Math.abs(sum / (h * w) - b.features![image * c + k]!) < 1e-4, `image ${image} channel ${k}`);
      }
    }
  } finally {
    await Promise.all([tfjs.dispose(), onnx.dispose()]);
  }
});
