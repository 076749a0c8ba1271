import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import { repoRoot, sharedDir } from '@pneumoscreen/testing';
import { loadModelVersion } from './load-version';
import { resolveModelDir } from '@pneumoscreen/model-format';

const REPO_ROOT = repoRoot();
const DATA = path.join(sharedDir(), 'data/kermany224-train');
const PER_CLASS = 8;

async function firstImages(label: 'NORMAL' | 'PNEUMONIA'): Promise<Buffer[]> {
  const names = (await readdir(path.join(DATA, label))).sort().slice(0, PER_CLASS);
  return Promise.all(names.map((n) => readFile(path.join(DATA, label, n))));
}

test('the released model scores real X-rays, batched exactly like one by one, off the main thread', async () => {
  const { manifest, engine } = await loadModelVersion(await resolveModelDir(path.join(REPO_ROOT, 'models/releases')), {
    engine: 'tfjs-wasm',
  });
  try {
    assert.equal(engine.name, 'tfjs-wasm');
    const normal = await Promise.all((await firstImages('NORMAL')).map((b) => preprocess(b, manifest.preprocessing)));
    const pneumonia = await Promise.all((await firstImages('PNEUMONIA')).map((b) => preprocess(b, manifest.preprocessing)));
    const all = [...normal, ...pneumonia];
    const size = all[0]!.length;
    const batch = new Float32Array(all.length * size);
    all.forEach((x, i) => batch.set(x, i * size));

    // The engine owns what it is given, so every call gets its own copy.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    const batched = await engine.predict(batch.slice(), all.length);
    const batchMs = Date.now() - started;
    clearInterval(timer);
    // A model running on this thread would block the timer for the whole call.
    assert.ok(ticks >= Math.floor(batchMs / 5 / 4), `event loop ticked ${ticks} times during a ${batchMs} ms call`);

    assert.equal(batched.length, all.length);
    for (const p of batched) assert.ok(p >= 0 && p <= 1, `probability ${p}`);
    for (let i = 0; i < all.length; i++) {
      const [single] = await engine.predict(all[i]!.slice(), 1);
      assert.ok(Math.abs(single! - batched[i]!) <= 1e-5, `image ${i}: alone ${single}, in batch ${batched[i]}`);
    }
    const mean = (xs: Float32Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const normalMean = mean(batched.subarray(0, PER_CLASS));
    const pneumoniaMean = mean(batched.subarray(PER_CLASS));
    assert.ok(pneumoniaMean > normalMean, `mean P(pneumonia): pneumonia ${pneumoniaMean}, normal ${normalMean}`);
  } finally {
    await engine.dispose();
  }
});

test('the released manifest records a patient-grouped validation split and its metrics', async () => {
  const { manifest, engine } = await loadModelVersion(await resolveModelDir(path.join(REPO_ROOT, 'models/releases')));
  await engine.dispose();
  const v = manifest.metrics['validation'];
  assert.ok(v, 'validation metrics missing');
  assert.ok(v.auc > 0.9, `validation AUC ${v.auc}`);
  assert.ok(v.sensitivity >= 0.95, `validation sensitivity ${v.sensitivity}`);
  assert.equal(v.threshold, manifest.threshold);
  assert.deepEqual(manifest.preprocessing, { mode: 'mobilenet', inputSize: [224, 224], channels: 3 });
});
