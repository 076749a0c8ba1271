import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelManifest, THRESHOLD_METHODS } from '@pneumoscreen/contracts';
import { binormalThreshold, mulberry32, positiveScores, promiseConfidence, thresholdForSensitivity } from '@pneumoscreen/evaluation';
import { BACKBONES } from './backbones';
import type { FitResult } from './fit';
import { buildManifest, buildReport } from './report';
import { thresholdMethodTable } from './threshold-choice';
import { TRAINING_DEFAULTS, type TrainOptions } from './train-options';

// A validation split of 150 positives and 60 negatives, logits normal and overlapping, as a head's
// sigmoid outputs are: enough positives that a confident threshold sits well below the empirical one.
const random = mulberry32(20);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const labels = Uint8Array.from({ length: 210 }, (_, i) => (i < 150 ? 1 : 0));
const scores = Float32Array.from(labels, (y) => 1 / (1 + Math.exp(-((y ? 2 : -1.5) + 1.2 * normal()))));
const positives = positiveScores(scores, labels);
const TARGET = 0.9;
const defaults = {
  targetSensitivity: TARGET,
  method: TRAINING_DEFAULTS.thresholdMethod,
  confidence: TRAINING_DEFAULTS.thresholdConfidence,
};
const fit: FitResult = { bestEpoch: 1, epochsRun: 1, valScores: scores, valAuc: 0.9, initialValAuc: 0.8, history: [] };

test('training takes the binormal threshold at 95% confidence by default and records the rule in metrics.json and the manifest', () => {
  assert.deepEqual([TRAINING_DEFAULTS.thresholdMethod, TRAINING_DEFAULTS.thresholdConfidence], ['binormal', 0.95]);
  const report = buildReport({ valLabels: labels, thresholdRule: defaults, headFit: fit, valScores: scores });
  const threshold = report.metrics['validation']!.threshold;
  assert.equal(threshold, binormalThreshold(positives, TARGET, 0.95));
  assert.ok(threshold < thresholdForSensitivity(scores, labels, TARGET), 'below the empirical threshold');
  const recorded = { ...defaults, promiseConfidence: promiseConfidence(positives, threshold, TARGET) };
  assert.deepEqual(report.thresholdRule, recorded);
  assert.deepEqual((report.metricsJson as { thresholdRule: unknown }).thresholdRule, recorded);

  const opts: TrainOptions = {
    ...TRAINING_DEFAULTS,
    ...{ dataDir: '/data/kermany', backbone: 'mobilenet', backboneDir: '/base', outDir: '/out', cacheDir: '/cache', codeVersion: 'test' },
    ...{ targetSensitivity: TARGET, seed: 1, valFraction: 0.2, workers: 1, fineTuneBlocks: 0 },
  };
  const manifest = buildManifest({
    opts,
    backbone: BACKBONES['mobilenet']!,
    backboneKey: 'key',
    images: [],
    split: { train: [], val: [], trainGroups: 0, valGroups: 0, ungrouped: 0 },
    report,
    trainableLayers: [],
    seconds: { extract: 0, pool: 0, head: 0, fineTune: 0, total: 0 },
    parentVersion: null,
  });
  assert.equal(manifest.threshold, threshold);
  assert.deepEqual(ModelManifest.parse(manifest).thresholdRule, recorded);
  // Versions made before the rule was recorded still load.
  const { thresholdRule: _, ...older } = manifest;
  assert.equal(ModelManifest.parse(older).thresholdRule, undefined);
});

test('the method asked for sets the threshold: empirical keeps the target on validation only', () => {
  const rule = { ...defaults, method: 'empirical' as const };
  const report = buildReport({ valLabels: labels, thresholdRule: rule, headFit: fit, valScores: scores });
  assert.equal(report.metrics['validation']!.threshold, thresholdForSensitivity(scores, labels, TARGET));
  assert.equal(report.thresholdRule.method, 'empirical');
  assert.ok(report.thresholdRule.promiseConfidence < 0.8, `promise ${report.thresholdRule.promiseConfidence}`);
});

test('the report lists every method on validation, the one used marked: a surer promise for less specificity', () => {
  const report = buildReport({ valLabels: labels, thresholdRule: defaults, headFit: fit, valScores: scores });
  const rows = report.thresholdMethods;
  assert.deepEqual(
    rows.map((r) => r.method),
    [...THRESHOLD_METHODS],
  );
  assert.deepEqual(
    rows.filter((r) => r.used).map((r) => [r.method, r.threshold]),
    [['binormal', report.metrics['validation']!.threshold]],
  );
  assert.deepEqual((report.metricsJson as { thresholdMethods: unknown }).thresholdMethods, rows);
  const [empirical, ...confident] = rows;
  assert.ok(empirical!.sensitivity >= TARGET && empirical!.promiseConfidence < 0.8, JSON.stringify(empirical));
  for (const r of confident) {
    assert.ok(r.threshold < empirical!.threshold, `${r.method} ${r.threshold} vs ${empirical!.threshold}`);
    assert.ok(r.sensitivity > empirical!.sensitivity && r.specificity <= empirical!.specificity, JSON.stringify(r));
  }
  // Distribution-free, so exact for the method built on it.
  assert.ok(rows.find((r) => r.method === 'order-statistic')!.promiseConfidence >= 0.95);
});

test('a target of every positive can only be kept on the sample: the table has the empirical row alone', () => {
  const rows = thresholdMethodTable(scores, labels, { ...defaults, targetSensitivity: 1, method: 'empirical' });
  assert.deepEqual(
    rows.map((r) => [r.method, r.sensitivity, r.used]),
    [['empirical', 1, true]],
  );
});
