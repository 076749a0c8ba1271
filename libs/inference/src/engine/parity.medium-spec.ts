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
