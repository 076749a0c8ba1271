import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initWasmBackend } from '@pneumoscreen/tfjs';
import { fitWithEarlyStopping, type FitData, type FitOptions } from './fit';
import { mulberry32 } from '@pneumoscreen/evaluation';

/** One noisy feature that predicts the label, one that is pure noise, at the 3:1 imbalance. */
function data(n: number, seed: number): { x: Float32Array; y: Uint8Array } {
  const random = mulberry32(seed);
  const y = Uint8Array.from({ length: n }, () => (random() < 0.75 ? 1 : 0));
  const x = new Float32Array(n * 2);
  y.forEach((label, i) => {
    x[2 * i] = (label ? 1 : -1) + 1.5 * (random() - 0.5);
    x[2 * i + 1] = random() - 0.5;
  });
  return { x, y };
}

async function logistic(learningRate: number, maxEpochs = 30, extra: Partial<FitOptions> = {}) {
  const tfw = await initWasmBackend();
  const train = data(200, 1);
  const val = data(100, 2);
  // Starts on the wrong feature, so training has something to improve.
  const w = tfw.variable(tfw.tensor2d([[0], [1]]));
  const b = tfw.variable(tfw.zeros([1]));
  const forward = (x: tf.Tensor) => tfw.sigmoid(tfw.add(tfw.matMul(x as tf.Tensor2D, w), b));
  const fitData: FitData = {
    size: train.y.length,
    labels: train.y,
    batch: (rows) =>
      tfw.tensor2d(
        rows.flatMap((r) => [train.x[2 * r]!, train.x[2 * r + 1]!]),
        [rows.length, 2],
      ),
  };
  const epochs: number[] = [];
  const result = await fitWithEarlyStopping(fitData, {
    variables: [w, b],
    forward,
    validate: async () => tfw.tidy(() => forward(tfw.tensor2d(val.x, [val.y.length, 2])).dataSync() as Float32Array).slice(),
    valLabels: val.y,
    learningRate,
    batchSize: 32,
    seed: 3,
    maxEpochs,
    patience: 2,
    onEpoch: (e) => epochs.push(e.epoch),
    ...extra,
  });
  return { result, epochs, weights: Array.from(w.dataSync()) };
}

test("training improves validation AUC and keeps the best epoch's weights and scores", async () => {
  const { result, epochs } = await logistic(0.05);
  assert.ok(result.initialValAuc < 0.7, `starts poor: ${result.initialValAuc}`);
  assert.ok(result.valAuc > 0.95, `learns: ${result.valAuc}`);
  assert.ok(result.bestEpoch >= 1);
  assert.equal(result.history[result.bestEpoch - 1]!.valAuc, result.valAuc);
  assert.deepEqual(
    epochs,
    result.history.map((h) => h.epoch),
  );
  assert.ok(result.epochsRun <= result.bestEpoch + 2, 'stops within patience of the best epoch');
});

test('when no epoch beats the starting weights they are kept, and training stops after patience', async () => {
  const { result, weights } = await logistic(0);
  assert.equal(result.bestEpoch, 0);
  assert.equal(result.epochsRun, 2);
  assert.equal(result.valAuc, result.initialValAuc);
  assert.deepEqual(weights, [0, 1]);
});

test('label smoothing and mixup keep a separable problem from driving scores to 0 and 1', async () => {
  const extreme = (scores: Float32Array) => Math.max(...scores.map((s) => Math.max(s, 1 - s)));
  const plain = await logistic(0.05, 30, { patience: 30 });
  // Smoothing 0.3 makes 0.85 / 0.15 the best a score can do on a training row.
  const smoothed = await logistic(0.05, 30, { patience: 30, labelSmoothing: 0.3 });
  const mixed = await logistic(0.05, 30, { patience: 30, mixupAlpha: 1 });
  assert.ok(extreme(plain.result.valScores) > 0.9, `plain: ${extreme(plain.result.valScores)}`);
  assert.ok(extreme(smoothed.result.valScores) < 0.9, `smoothed: ${extreme(smoothed.result.valScores)}`);
  assert.ok(extreme(mixed.result.valScores) < extreme(plain.result.valScores), `mixup: ${extreme(mixed.result.valScores)}`);
  assert.ok(smoothed.result.valAuc > 0.95 && mixed.result.valAuc > 0.95, 'both still rank the images');
});
