import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { FitResult } from './fit';
import { buildReport } from './report';
import { TRAINING_DEFAULTS } from './train-options';

const rule = (targetSensitivity: number) => ({
  targetSensitivity,
  method: TRAINING_DEFAULTS.thresholdMethod,
  confidence: TRAINING_DEFAULTS.thresholdConfidence,
});

const labels = Uint8Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 0 : 1));
const scores = (shift: number) =>
  Float32Array.from(labels, (y, i) => Math.min(1, Math.max(0, 0.5 + (y ? 0.3 : -0.3) + Math.sin(i * 7) * shift)));
const fit = (epochs: number, bestEpoch: number): FitResult => ({
  bestEpoch,
  epochsRun: epochs,
  valScores: scores(0.4),
  valAuc: 0.9,
  initialValAuc: 0.8,
  history: Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    loss: 1 / (i + 1),
    valAuc: 0.8 + i / 100,
    best: i + 1 === bestEpoch,
    seconds: 1,
  })),
});

test('each set of scores gets its own threshold by the rule; metrics.json has ROC points and history', () => {
  const report = buildReport({
    valLabels: labels,
    thresholdRule: rule(0.9),
    headFit: fit(5, 4),
    fineTune: { fit: fit(3, 2), learningRate: 1e-5 },
    valScores: scores(0.2),
    ttaScores: scores(0.1),
  });
  assert.deepEqual(Object.keys(report.metrics), ['validation', 'validationHead', 'validationTta']);
  for (const m of Object.values(report.metrics)) assert.ok(m.sensitivity >= 0.9);
  assert.notEqual(report.metrics['validation']!.threshold, report.metrics['validationHead']!.threshold);
  const json = report.metricsJson as Record<string, { roc?: unknown[] }> & { stages: Array<{ history: unknown[]; bestEpoch: number }> };
  assert.equal(json['validation']!.roc![0]!.constructor, Object);
  assert.deepEqual(
    json.stages.map((s) => [s.history.length, s.bestEpoch]),
    [
      [5, 4],
      [3, 2],
    ],
  );
  const headOnly = buildReport({ valLabels: labels, thresholdRule: rule(0.9), headFit: fit(5, 4), valScores: scores(0.4) });
  assert.deepEqual(Object.keys(headOnly.metrics), ['validation']);
});

test('the ROC and training plots are PNG images', async () => {
  const report = buildReport({
    valLabels: labels,
    thresholdRule: rule(0.95),
    headFit: fit(5, 4),
    fineTune: { fit: fit(3, 0), learningRate: 1e-5 },
    valScores: scores(0.2),
  });
  const plots = await report.plots();
  assert.deepEqual(Object.keys(plots).sort(), ['roc.png', 'training.png']);
  for (const png of Object.values(plots)) {
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(meta.width! >= 900 && meta.height! >= 500);
  }
});

test('reshaped views are measured at the served threshold, not at one chosen for them', () => {
  const shifted = Float32Array.from(scores(0.2), (s) => Math.min(1, s + 0.25));
  const report = buildReport({
    valLabels: labels,
    thresholdRule: rule(0.9),
    headFit: fit(5, 4),
    valScores: scores(0.2),
    aspectScores: { aspectNarrower: shifted },
  });
  const served = report.metrics['validation']!;
  const narrower = report.metrics['aspectNarrower']!;
  assert.equal(narrower.threshold, served.threshold);
  assert.ok(narrower.specificity < served.specificity, `specificity ${narrower.specificity} vs ${served.specificity}`);
  assert.deepEqual((report.metricsJson as { aspectStress: { views: string[] } }).aspectStress.views, ['aspectNarrower']);
});
