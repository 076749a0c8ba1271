import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../split';
import { compareOnDraws, methodsOnWhole } from './compare-draws';

/** A scored source: logit-normal scores, positives around logit 2.5, negatives around -2. */
function source(positives: number, negatives: number, seed: number): { scores: number[]; labels: number[] } {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const score = (mu: number) => 1 / (1 + Math.exp(-(mu + 1.2 * normal())));
  const scores = [...Array.from({ length: positives }, () => score(2.5)), ...Array.from({ length: negatives }, () => score(-2))];
  return { scores, labels: scores.map((_, i) => (i < positives ? 1 : 0)) };
}

const options = { target: 0.95, confidence: 0.95, siteSize: 116, seed: 7 };

describe('compareOnDraws', () => {
  test('held out of a large source, the empirical threshold keeps 0.95 about half the time and the order statistic about 95%', () => {
    const { scores, labels } = source(6000, 2000, 3);
    const run = compareOnDraws(scores, labels, { ...options, methods: ['empirical', 'order-statistic', 'binormal'], draws: 300 });
    const by = Object.fromEntries(run.results.map((r) => [r.method, r]));
    assert.ok(by.empirical!.kept > 0.3 && by.empirical!.kept < 0.7, `empirical kept ${by.empirical!.kept}`);
    assert.ok(by['order-statistic']!.kept >= 0.9, `order-statistic kept ${by['order-statistic']!.kept}`);
    assert.ok(by.binormal!.kept >= 0.85, `binormal kept ${by.binormal!.kept}`);
    // A confident threshold is lower, so it buys sensitivity with specificity.
    assert.ok(by['order-statistic']!.meanThreshold < by.empirical!.meanThreshold);
    assert.ok(by['order-statistic']!.meanSpecificity < by.empirical!.meanSpecificity);
    assert.ok(by.empirical!.p5Sensitivity < by.empirical!.meanSensitivity);
    assert.ok(Math.abs(by.empirical!.meanSensitivity - 0.95) < 0.015, `empirical mean sensitivity ${by.empirical!.meanSensitivity}`);
  });

  test('every draw is stratified by class, and the rest of the source is what it measures on', () => {
    const { scores, labels } = source(300, 100, 5);
    const run = compareOnDraws(scores, labels, { ...options, methods: ['empirical'], draws: 5 });
    assert.deepEqual(run.site, { positives: 87, negatives: 29 });
    assert.deepEqual(run.heldOut, { positives: 213, negatives: 71 });
    assert.equal(run.images, 400);
    assert.equal(run.positives, 300);
  });

  test('separable classes: every threshold is a positive score, and the rest is called right', () => {
    const scores = [...Array.from({ length: 150 }, () => 0.9), ...Array.from({ length: 50 }, () => 0.1)];
    const labels = scores.map((s) => (s > 0.5 ? 1 : 0));
    const run = compareOnDraws(scores, labels, { ...options, methods: ['empirical', 'order-statistic'], draws: 20 });
    for (const r of run.results)
      assert.deepEqual(
        { kept: r.kept, sens: r.meanSensitivity, p5: r.p5Sensitivity, spec: r.meanSpecificity, threshold: r.meanThreshold.toFixed(6) },
        { kept: 1, sens: 1, p5: 1, spec: 1, threshold: '0.900000' },
      );
  });

  test('seeded: the same seed repeats the draws, another seed makes others', () => {
    const { scores, labels } = source(300, 100, 9);
    const run = (seed: number) => compareOnDraws(scores, labels, { ...options, seed, methods: ['empirical'], draws: 50 }).results[0];
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
  });

  test('a site that leaves nothing of a class to measure on is refused', () => {
    const { scores, labels } = source(100, 20, 1);
    assert.throws(() => compareOnDraws(scores, labels, { ...options, siteSize: 119, methods: ['empirical'], draws: 1 }), /cannot be drawn/);
  });
});

describe('methodsOnWhole', () => {
  test('each threshold is measured on the source it was chosen on; the confident ones sit lower', () => {
    const { scores, labels } = source(700, 240, 4);
    const [empirical, orderStatistic] = methodsOnWhole(scores, labels, ['empirical', 'order-statistic'], {
      target: 0.95,
      confidence: 0.95,
    });
    assert.ok(empirical!.sensitivity >= 0.95 && empirical!.sensitivity < 0.953, `empirical ${empirical!.sensitivity}`);
    assert.ok(orderStatistic!.threshold < empirical!.threshold);
    assert.ok(orderStatistic!.sensitivity > empirical!.sensitivity && orderStatistic!.specificity <= empirical!.specificity);
  });
});
