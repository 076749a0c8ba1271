import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelManifest } from '@pneumoscreen/contracts';
import { encodeFloats, ScopeGuard, type ModelEngine } from '@pneumoscreen/inference';
import { manifestFields } from '@pneumoscreen/testing';
import { BROKEN_AFTER, EngineTimeoutError, LoadedModel } from './loaded-model';

const manifest = ModelManifest.parse(manifestFields(2));

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
  await assert.rejects(
    LoadedModel.warmUp({ manifest, engine }, { batching: { maxBatch: 64, maxWaitMs: 0 } }),
    /^Error: recording cannot run a batch of 64 \(WORKER_MAX_BATCH\): out of memory$/,
  );
  assert.equal(disposed(), true);
});

test('an engine that fails BROKEN_AFTER batches in a row is reported broken, once; a success in between starts the count again', async () => {
  // Call 1 is the warm-up; then two failures, a success, and failures from there on.
  const { engine } = recordingEngine((call) =>
    call === 2 || call === 3 || call >= 5 ? new Error(`CUDA failure on call ${call}`) : undefined,
  );
  const broken: string[] = [];
  const model = await LoadedModel.warmUp(
    { manifest, engine },
    { batching: { maxBatch: 1, maxWaitMs: 0 }, onBroken: (err) => broken.push(err.message) },
  );
  const image = new Uint8Array(12);
  for (let batch = 2; batch <= 4 + BROKEN_AFTER + 1; batch++) {
    const outcome = await model.predict(image).then(
      () => 'scored',
      (err: Error) => err.message,
    );
    assert.equal(outcome, batch === 4 ? 'scored' : `CUDA failure on call ${batch}`);
    assert.deepEqual(broken, batch >= 4 + BROKEN_AFTER ? [`CUDA failure on call ${4 + BROKEN_AFTER}`] : [], `after call ${batch}`);
  }
});

test('an engine run that never returns fails its batch after ENGINE_TIMEOUT_MS and reports the engine broken at once', async () => {
  let calls = 0;
  const engine: ModelEngine = {
    name: 'hanging',
    predict: (_input, batchSize) =>
      ++calls === 1 ? Promise.resolve(new Float32Array(batchSize)) : new Promise<Float32Array>(() => undefined),
    dispose: async () => undefined,
  };
  const broken: string[] = [];
  const model = await LoadedModel.warmUp(
    { manifest, engine },
    { batching: { maxBatch: 1, maxWaitMs: 0 }, runTimeoutMs: 50, onBroken: (err) => broken.push(err.message) },
  );
  await assert.rejects(model.predict(new Uint8Array(12)), EngineTimeoutError);
  assert.deepEqual(broken, ['hanging did not finish a batch of 1 within 50 ms (ENGINE_TIMEOUT_MS)']);
  await assert.rejects(model.predict(new Uint8Array(12)), EngineTimeoutError);
  assert.equal(broken.length, 1, 'reported once');
});

/** A guard on 2 features: distance is the squared norm over 2 (unit variances about 0); the view
 * head calls an image frontal-chest when its first feature exceeds its second. */
function tinyGuard(): ScopeGuard {
  return new ScopeGuard({
    kind: 'scope-guard',
    featureDim: 2,
    mean: encodeFloats([0, 0]),
    distance: { components: encodeFloats([1, 0]), variances: [1], residualVariance: 1, shrinkage: 0, threshold: 4 },
    view: {
      classes: ['frontal-chest', 'lateral', 'not-chest', 'not-radiograph'],
      scale: encodeFloats([1, 1]),
      weights: encodeFloats([1, -1, 0, 0, 0, 0, -1, 1]),
      bias: [0, -10, -10, 0],
      threshold: 0.5,
    },
    fit: {},
  });
}

test('a version with a guard scores each image from the batch features, and refuses to serve on an engine without them', async () => {
  const { engine } = recordingEngine();
  await assert.rejects(
    LoadedModel.warmUp({ manifest, engine, guard: tinyGuard() }, { batching: { maxBatch: 2, maxWaitMs: 5 } }),
    /has an image-content guard but this engine returns no pooled features/,
  );

  const withFeatures: ModelEngine = {
    name: 'features',
    predict: async (_input, n) => new Float32Array(n),
    // Features: the image's first two values.
    score: async (input, n) => ({
      probabilities: new Float32Array(n),
      features: Float32Array.from({ length: n * 2 }, (_, k) => input[Math.floor(k / 2) * 12 + (k % 2)]!),
      featureDim: 2,
    }),
    dispose: async () => undefined,
  };
  const model = await LoadedModel.warmUp(
    { manifest, engine: withFeatures, guard: tinyGuard() },
    { batching: { maxBatch: 2, maxWaitMs: 5 } },
  );
  // mobilenet normalisation: 8-bit v becomes v / 127.5 - 1.
  const image = (a: number, b: number) => Uint8Array.from({ length: 12 }, (_, i) => (i === 0 ? a : i === 1 ? b : 127.5));
  const [frontal, other] = await Promise.all([model.predict(image(255, 0)), model.predict(image(0, 255))]);
  assert.equal(model.guard!.verdict(frontal!.guard!), null);
  assert.deepEqual(model.guard!.verdict(other!.guard!)?.reason, 'not-radiograph');
  assert.ok(Math.abs(frontal!.guard!.distance - 1) < 1e-6, `distance ${frontal!.guard!.distance}`);
});
