import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SiteCalibration } from '@pneumoscreen/contracts';
import { CalibrationDataError, calibrate, fitThreshold, wilsonInterval } from './site-calibration';

const close = (actual: number, expected: number, digits = 4) =>
  assert.equal(actual.toFixed(digits), expected.toFixed(digits), `${actual} is not ${expected} to ${digits} places`);

describe('wilsonInterval', () => {
  // Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of
  // seven methods", Stat Med 17:857-872, Table II, method 3 (score interval without correction).
  for (const [count, of, low, high] of [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ] as const) {
    test(`${count}/${of} is [${low}, ${high}] as published`, () => {
      const ci = wilsonInterval(count, of);
      close(ci.low, low);
      close(ci.high, high);
    });
  }

  test('45/50 is [0.7864, 0.9565]: asymmetric about 0.9, as a proportion near 1 must be', () => {
    const ci = wilsonInterval(45, 50);
    close(ci.low, 0.7864);
    close(ci.high, 0.9565);
  });

  test('stays within [0, 1] at the ends and narrows with more trials', () => {
    assert.deepEqual(wilsonInterval(0, 20).low, 0);
    assert.equal(wilsonInterval(29, 29).high, 1);
    close(wilsonInterval(29, 29).low, 0.883);
    const small = wilsonInterval(9, 10);
    const large = wilsonInterval(900, 1000);
    assert.ok(large.high - large.low < small.high - small.low);
  });

  test('a wider z gives a wider interval', () => {
    const a = wilsonInterval(45, 50);
    const b = wilsonInterval(45, 50, 2.576);
    assert.ok(b.low < a.low && b.high > a.high);
  });

  test('refuses what is not a proportion', () => {
    assert.throws(() => wilsonInterval(1, 0), /positive whole number of trials/);
    assert.throws(() => wilsonInterval(6, 5), /6 successes of 5 trials/);
    assert.throws(() => wilsonInterval(-1, 5), /not a proportion/);
  });
});

describe('fitThreshold', () => {
  const labels = [1, 1, 1, 1, 0, 0, 0, 0];
  const scores = [0.9, 0.8, 0.6, 0.3, 0.7, 0.4, 0.2, 0.1];

  test('is the highest observed score that keeps sensitivity at the target', () => {
    assert.equal(fitThreshold(scores, labels, 0.75), 0.6);
    assert.equal(fitThreshold(scores, labels, 0.5), 0.8);
    assert.equal(fitThreshold(scores, labels, 1), 0.3);
  });

  test('refuses a target outside (0, 1] and a set without pneumonia', () => {
    assert.throws(() => fitThreshold(scores, labels, 0), /target sensitivity 0/);
    assert.throws(() => fitThreshold([0.1, 0.2], [0, 0], 0.9), /no positive labels/);
  });
});

describe('calibrate', () => {
  // 20 PNEUMONIA scored 0.50..0.98 and 20 NORMAL scored 0.02..0.59: they overlap in 0.50..0.59.
  const pos = Array.from({ length: 20 }, (_, i) => 0.5 + i * 0.025);
  const neg = Array.from({ length: 20 }, (_, i) => 0.02 + i * 0.03);
  const input = {
    scores: [...pos, ...neg],
    labels: [...pos.map(() => 1), ...neg.map(() => 0)],
    targetSensitivity: 0.95,
    model: 'pneumoscreen-pneumonia',
    version: 'v1',
    site: 'hospital-a',
    source: 'data' as const,
    fittedAt: new Date('2026-03-01T09:00:00Z'),
  };

  test('fits the threshold, measures it with Wilson intervals and builds a valid SiteCalibration', () => {
    const c = calibrate(input);
    assert.deepEqual(SiteCalibration.parse(c), c);
    // 19 of 20 positives at 0.525 and above; negatives at or above 0.525: 0.53, 0.56, 0.59.
    close(c.threshold, 0.525, 6);
    assert.deepEqual({ count: c.sensitivity.count, of: c.sensitivity.of }, { count: 19, of: 20 });
    assert.deepEqual({ count: c.specificity.count, of: c.specificity.of }, { count: 17, of: 20 });
    close(c.sensitivity.value, 0.95);
    const ci = wilsonInterval(19, 20);
    assert.deepEqual([c.sensitivity.low, c.sensitivity.high], [ci.low, ci.high]);
    assert.ok(c.specificity.low < 0.85 && c.specificity.high > 0.85);
    assert.equal(c.n, 40);
    assert.ok(c.auc > 0.9 && c.auc < 1);
    assert.equal(c.fittedAt, '2026-03-01T09:00:00.000Z');
    assert.deepEqual(
      [c.model, c.version, c.site, c.source, c.targetSensitivity],
      ['pneumoscreen-pneumonia', 'v1', 'hospital-a', 'data', 0.95],
    );
  });

  test('refuses a set with too few images of a class, saying how many it had', () => {
    const few = { ...input, scores: [...pos, ...neg.slice(0, 3)], labels: [...pos.map(() => 1), 0, 0, 0] };
    assert.throws(
      () => calibrate(few),
      (e: Error) => e instanceof CalibrationDataError && /at least 10 images of each class; got 20 PNEUMONIA and 3 NORMAL/.test(e.message),
    );
    assert.equal(calibrate({ ...few, minPerClass: 3 }).n, 23);
  });

  test('refuses a site name that could not be a bucket', () => {
    assert.throws(() => calibrate({ ...input, site: 'Hospital A' }), /site/);
  });
});
