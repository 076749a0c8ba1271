import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelManifest } from '@pneumoscreen/contracts';
import type { ModelEngine } from '@pneumoscreen/model';
import { LoadedModel } from './loaded-model';

const manifest = ModelManifest.parse({
  name: 'test',
  version: 'v1',
  architecture: 'mobilenet_v1_0.75',
  format: 'tfjs-layers',
  preprocessing: { mode: 'mobilenet', inputSize: [2, 2], channels: 3 },
  classes: ['NORMAL', 'PNEUMONIA'],
  threshold: 0.5,
  codeVersion: 'test',
  createdAt: new Date(0).toISOString(),
});

/** Scores each image by its first value, and keeps every call it got. */
function recordingEngine(fail?: Error) {
  const calls: Array<{ batchSize: number; values: number[] }> = [];
  let disposed = false;
  const engine: ModelEngine = {
    name: 'recording',
    async predict(input, batchSize) {
      calls.push({ batchSize, values: [...input] });
      if (fail) throw fail;
      return Float32Array.from({ length: batchSize }, (_, i) => input[i * 12]!);
    },
    async dispose() {
      disposed = true;
    },
  };
  return { engine, calls, disposed: () => disposed };
}

test('a model is warmed with one blank batch of the largest size before it serves', async () => {
  const { engine, calls, disposed } = recordingEngine();
  const model = await LoadedModel.warmUp({ manifest, engine }, { maxBatch: 4, maxWaitMs: 0 });
  assert.deepEqual(calls, [{ batchSize: 4, values: new Array(4 * 2 * 2 * 3).fill(0) }]);

  // Then it serves: an 8-bit 255 becomes MobileNet's 1.
  const p = await model.predict(new Uint8Array(12).fill(255));
  assert.equal(p.probability, 1);
  assert.equal(calls.length, 2);
  assert.equal(disposed(), false);
});

test('an engine that cannot run a full batch fails the load, named, and is disposed', async () => {
  const { engine, disposed } = recordingEngine(new Error('out of memory'));
  await assert.rejects(LoadedModel.warmUp({ manifest, engine }, { maxBatch: 64, maxWaitMs: 0 }), /^Error: recording cannot run a batch of 64 \(WORKER_MAX_BATCH\): out of memory$/);
  assert.equal(disposed(), true);
});
