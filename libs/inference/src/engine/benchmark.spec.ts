import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchmarkEngine } from './benchmark';
import type { ModelEngine } from './engine';

/** Takes 20 ms per call and remembers what it was given. */
function fakeEngine(): ModelEngine & { calls: Array<{ input: Float32Array; batchSize: number }> } {
  const calls: Array<{ input: Float32Array; batchSize: number }> = [];
  return {
    name: 'fake',
    calls,
    async predict(input, batchSize) {
      calls.push({ input, batchSize });
      await sleep(20);
      return new Float32Array(batchSize).fill(0.5);
    },
    async dispose() {},
  };
}

test('one warm-up call, then the timed calls, each with a fresh full-size buffer', async () => {
  const engine = fakeEngine();
  const r = await benchmarkEngine(engine, 4, 3, [2, 3]);
  assert.equal(engine.calls.length, 4);
  for (const call of engine.calls) {
    assert.equal(call.batchSize, 4);
    assert.equal(call.input.length, 4 * 2 * 3 * 3);
  }
  assert.equal(new Set(engine.calls.map((c) => c.input.buffer)).size, 4, 'a buffer was reused');
  assert.equal(r.engine, 'fake');
  assert.equal(r.iterations, 3);
  assert.ok(r.msPerBatch.min >= 19 && r.msPerBatch.mean < 200, `ms per batch ${JSON.stringify(r.msPerBatch)}`);
  assert.ok(Math.abs(r.imagesPerSecond - (4 * 1000) / r.msPerBatch.mean) < 2, `images/s ${r.imagesPerSecond} vs ${r.msPerBatch.mean} ms`);
});

test('nonsense batch sizes and iteration counts are refused', async () => {
  await assert.rejects(benchmarkEngine(fakeEngine(), 0, 3), /must be positive integers/);
  await assert.rejects(benchmarkEngine(fakeEngine(), 2, 1.5), /must be positive integers/);
});
