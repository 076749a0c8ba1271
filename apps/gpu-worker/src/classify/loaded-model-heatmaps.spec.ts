import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelManifest } from '@pneumoscreen/contracts';
import type { ClassifierHead, ModelEngine, ScoreOptions } from '@pneumoscreen/inference';
import { manifestFields } from '@pneumoscreen/testing';
import { LoadedModel } from './loaded-model';

const manifest = ModelManifest.parse(manifestFields(2));
/** One channel read straight into a sigmoid unit: the map is the feature map itself, normalised. */
const head: ClassifierHead = {
  layers: [{ inputs: 1, units: 1, activation: 'sigmoid', kernel: Float32Array.from([1]), bias: Float32Array.from([0]) }],
};

/** Its feature map is each image's red channel, [2, 2, 1]; `withMap: false` is an engine (an old
 * int8 model) that has none. */
function mappingEngine(withMap = true) {
  const asked: Array<{ batchSize: number; featureMap: boolean }> = [];
  const engine: ModelEngine = {
    name: 'mapping',
    async predict(_input, batchSize) {
      return new Float32Array(batchSize).fill(0.5);
    },
    async score(input: Float32Array, batchSize: number, opts: ScoreOptions = {}) {
      asked.push({ batchSize, featureMap: !!opts.featureMap });
      const probabilities = new Float32Array(batchSize).fill(0.5);
      if (!withMap || !opts.featureMap) return { probabilities, featureDim: 0 };
      const featureMap = Float32Array.from({ length: batchSize * 4 }, (_, i) => input[i * 3]!);
      return { probabilities, featureDim: 0, featureMap, featureMapShape: [2, 2, 1] as [number, number, number] };
    },
    async dispose() {},
  };
  return { engine, asked };
}

/** A 2x2 RGB image whose red channel is `reds` (MobileNet maps 0..255 to -1..1). */
const image = (reds: number[]) => Uint8Array.from(reds.flatMap((r) => [r, 0, 0]));

test('an image gets the class-activation map of its own feature map, computed from the same run', async () => {
  const { engine, asked } = mappingEngine();
  const model = await LoadedModel.warmUp(
    { manifest, engine, head },
    { batching: { maxBatch: 4, maxWaitMs: 0 }, heatmaps: { maxBatch: 4 } },
  );
  assert.equal(model.heatmapsUnavailable, null);
  const p = await model.predict(image([0, 255, 128, 0]));
  assert.ok(p.heatmap && typeof p.heatmap === 'object', JSON.stringify(p.heatmap));
  const values = [...p.heatmap.values].map((v) => Number(v.toFixed(3)));
  // -1 and 0.004 are no evidence (ReLU); 1 is the peak.
  assert.deepEqual([p.heatmap.height, p.heatmap.width], [2, 2]);
  assert.equal(values[1], 1);
  assert.deepEqual([values[0], values[3]], [0, 0]);
  assert.deepEqual(asked.at(-1), { batchSize: 1, featureMap: true });
});

test('a batch larger than HEATMAP_MAX_BATCH gets no maps (batch-cost), and the engine is not asked for its feature map', async () => {
  const { engine, asked } = mappingEngine();
  const model = await LoadedModel.warmUp(
    { manifest, engine, head },
    { batching: { maxBatch: 4, maxWaitMs: 30 }, heatmaps: { maxBatch: 2 } },
  );
  const ps = await Promise.all([0, 1, 2].map(() => model.predict(image([255, 0, 0, 0]))));
  assert.deepEqual(
    ps.map((p) => p.heatmap),
    ['batch-cost', 'batch-cost', 'batch-cost'],
  );
  assert.ok(!asked.some((a) => a.batchSize === 3 && a.featureMap), JSON.stringify(asked));
});

test('an engine without a feature map serves, says why at load, and gives each image `engine`', async () => {
  const { engine } = mappingEngine(false);
  const model = await LoadedModel.warmUp(
    { manifest, engine, head },
    { batching: { maxBatch: 2, maxWaitMs: 0 }, heatmaps: { maxBatch: 2 } },
  );
  assert.match(model.heatmapsUnavailable ?? '', /mapping returns no feature map for version v1/);
  assert.equal((await model.predict(image([255, 0, 0, 0]))).heatmap, 'engine');
});

test('a head the analytic weights cannot follow gives `engine` too; with heatmaps off, no image has the field', async () => {
  const { engine, asked } = mappingEngine();
  const unreadable = await LoadedModel.warmUp(
    { manifest, engine, head: new Error('head layer x is a BatchNormalization') },
    { batching: { maxBatch: 2, maxWaitMs: 0 }, heatmaps: { maxBatch: 2 } },
  );
  assert.match(unreadable.heatmapsUnavailable ?? '', /BatchNormalization/);
  assert.equal((await unreadable.predict(image([255, 0, 0, 0]))).heatmap, 'engine');

  const off = await LoadedModel.warmUp({ manifest, engine, head }, { batching: { maxBatch: 2, maxWaitMs: 0 } });
  asked.length = 0;
  const p = await off.predict(image([255, 0, 0, 0]));
  assert.equal('heatmap' in p, false);
  assert.equal(asked.length, 0, 'predict, not score, with no guard and no heatmaps');
});
