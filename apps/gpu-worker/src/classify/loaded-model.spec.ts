import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelManifest } from '@pneumoscreen/contracts';
import type { ModelEngine } from '@pneumoscreen/model';
import { BROKEN_AFTER, LoadedModel } from './loaded-model';

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

/** Scores each image by its first value, and keeps every call it got; `fail` decides, call by
 * call, whether the call throws it. */
function recordingEngine(fail?: Error | ((call: number) => Error | undefined)) {
  const calls: Array<{ batchSize: number; values: number[] }> = [];
  let disposed = false;
  const engine: ModelEngine = {
    name: 'recording',
    async predict(input, batchSize) {
      calls.push({ batchSize, values: [...input] });
      const err = typeof fail === 'function' ? fail(calls.length) : fail;
      if (err) throw err;
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
  const model = await LoadedModel.warmUp({ manifest, engine }, { batching: { maxBatch: 4, maxWaitMs: 0 } });
  assert.deepEqual(calls, [{ batchSize: 4, values: new Array(4 * 2 * 2 * 3).fill(0) }]);

  // Then it serves: an 8-bit 255 becomes MobileNet's 1.
  const p = await model.predict(new Uint8Array(12).fill(255));
  assert.equal(p.probability, 1);
  assert.equal(calls.length, 2);
  assert.equal(disposed(), false);
});

test('an engine that cannot run a full batch fails the load, named, and is disposed', async () => {
  const { engine, disposed } = recordingEngine(new Error('out of memory'));
  await assert.rejects(LoadedModel.warmUp({ manifest, engine }, { batching: { maxBatch: 64, maxWaitMs: 0 } }), /^Error: recording cannot run a batch of 64 \(WORKER_MAX_BATCH\): out of memory$/);
  assert.equal(disposed(), true);
});

test('an engine that fails BROKEN_AFTER batches in a row is reported broken, once; a success in between starts the count again', async () => {
  // Call 1 is the warm-up; then two failures, a success, and failures from there on.
  const { engine } = recordingEngine((call) => (call === 2 || call === 3 || call >= 5 ? new Error(`CUDA failure on call ${call}`) : undefined));
  const broken: string[] = [];
  const model = await LoadedModel.warmUp({ manifest, engine }, { batching: { maxBatch: 1, maxWaitMs: 0 }, onBroken: (err) => broken.push(err.message) });
  const image = new Uint8Array(12);
  for (let batch = 2; batch <= 4 + BROKEN_AFTER + 1; batch++) {
    const outcome = await model.predict(image).then(() => 'scored', (err: Error) => err.message);
    assert.equal(outcome, batch === 4 ? 'scored' : `CUDA failure on call ${batch}`);
    assert.deepEqual(broken, batch >= 4 + BROKEN_AFTER ? [`CUDA failure on call ${4 + BROKEN_AFTER}`] : [], `after call ${batch}`);
  }
});
