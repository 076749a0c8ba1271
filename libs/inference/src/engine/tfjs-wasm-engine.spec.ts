import { test } from 'node:test';
import assert from 'node:assert/strict';
import { softmaxModelDir } from './softmax-model.test-harness';
import { TfjsWasmEngine } from './tfjs-wasm-engine';

test('engine runs a softmax model in a worker and returns the PNEUMONIA column', async () => {
  const engine = await TfjsWasmEngine.load(await softmaxModelDir(), 'model.json', [4, 4]);
  try {
    assert.equal(engine.name, 'tfjs-wasm');
    const input = new Float32Array(2 * 48);
    input.fill(1, 48); // second image bright: logits (-3, 3)
    const p = await engine.predict(input, 2);
    assert.equal(p.length, 2);
    assert.ok(Math.abs(p[0]! - 0.5) < 1e-6, `dark image: ${p[0]}`);
    assert.ok(Math.abs(p[1]! - 1 / (1 + Math.exp(-6))) < 1e-6, `bright image: ${p[1]}`);
    await assert.rejects(engine.predict(new Float32Array(47), 1), /input has 47 values; batch of 1 needs 48/);
  } finally {
    await engine.dispose();
  }
  await assert.rejects(engine.predict(new Float32Array(48), 1), /closed/);
});

test("memory() reports the worker's tensors, and many predict calls leave their count unchanged", async () => {
  const engine = await TfjsWasmEngine.load(await softmaxModelDir(), 'model.json', [4, 4]);
  try {
    await engine.predict(new Float32Array(48), 1);
    const before = await engine.memory();
    // The dense layer's kernel and bias at least; a count of 0 would mean the wrong thread answered.
    assert.ok(before.numTensors! >= 2 && before.numBytes! > 0, `before: ${JSON.stringify(before)}`);
    for (let round = 0; round < 25; round++) {
      // Two batches in flight at once, as a worker with prefetch sends them, plus a refused one.
      await Promise.all([engine.predict(new Float32Array(4 * 48).fill(round / 25), 4), engine.predict(new Float32Array(48), 1)]);
      await assert.rejects(engine.predict(new Float32Array(47), 1), /input has 47 values/);
    }
    assert.deepEqual(await engine.memory(), before);
  } finally {
    await engine.dispose();
  }
  await assert.rejects(engine.memory(), /closed/);
});

test('a model whose input size differs from the manifest is refused', async () => {
  await assert.rejects(
    TfjsWasmEngine.load(await softmaxModelDir(), 'model.json', [224, 224]),
    /model input is 4x4x3 but the manifest says 224x224x3/,
  );
});

test('a missing model fails start-up with the folder named', async () => {
  await assert.rejects(
    TfjsWasmEngine.load('/nonexistent-model-dir', 'model.json', [4, 4]),
    /cannot load model from \/nonexistent-model-dir/,
  );
});
