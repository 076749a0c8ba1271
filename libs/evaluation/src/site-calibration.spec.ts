import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SiteCalibration } from '@pneumoscreen/contracts';
import { chooseThreshold } from './threshold';
import { CalibrationDataError, TooFewPositivesError, calibrate, checkCalibrationSet, wilsonInterval } from './site-calibration';

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
    const c = calibrate({ ...input, method: 'empirical', allowFewPositives: true });
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
    // 19 of 20 above: P(Binomial(20, 0.95) <= 18) = 1 - 0.95^20 - 20 * 0.95^19 * 0.05.
    close(c.promiseConfidence!, 1 - 0.95 ** 20 - 20 * 0.95 ** 19 * 0.05);
    assert.deepEqual([c.method, c.confidence, c.fewPositives], ['empirical', 0.95, true]);
  });

  test('by default chooses binormally at 95% confidence, below the empirical threshold, once there are 59 positives', () => {
    const many = Array.from({ length: 80 }, (_, i) => 0.3 + i * 0.0085);
    const set = { ...input, scores: [...many, ...neg], labels: [...many.map(() => 1), ...neg.map(() => 0)] };
    const c = calibrate(set);
    const binormal = chooseThreshold(set.scores, set.labels, { target: 0.95, method: 'binormal', confidence: 0.95 });
    assert.deepEqual([c.method, c.confidence, c.fewPositives], ['binormal', 0.95, false]);
    assert.deepEqual([c.threshold, c.promiseConfidence], [binormal.threshold, binormal.promiseConfidence]);
    assert.ok(c.threshold < calibrate({ ...set, method: 'empirical' }).threshold);
    assert.equal(calibrate({ ...set, method: 'order-statistic', confidence: 0.9 }).confidence, 0.9);
  });

  test('refuses fewer positives than minPositives, saying how many there are, how many it needs and why', () => {
    assert.throws(
      () => calibrate(input),
      (e: Error) =>
        e instanceof TooFewPositivesError &&
        e.positives === 20 &&
        e.needed === 59 &&
        /^20 PNEUMONIA images cannot back a promise of 95% sensitivity with 95% confidence: it needs at least 59\./.test(e.message) &&
        /0\.95\^59 = 0\.048\) is that below 0\.05/.test(e.message),
    );
  });

  test('old stored calibrations, without the rule, still read', () => {
    const { method, confidence, promiseConfidence, fewPositives, ...old } = calibrate({ ...input, allowFewPositives: true });
    assert.deepEqual(SiteCalibration.parse(old), old);
    assert.equal([method, confidence, promiseConfidence, fewPositives].length, 4);
  });

  test('refuses a set with too few images of a class, saying how many it had', () => {
    const few = { ...input, scores: [...pos, ...neg.slice(0, 3)], labels: [...pos.map(() => 1), 0, 0, 0] };
    assert.throws(
      () => calibrate(few),
      (e: Error) => e instanceof CalibrationDataError && /at least 10 images of each class; got 20 PNEUMONIA and 3 NORMAL/.test(e.message),
    );
    assert.equal(calibrate({ ...few, minPerClass: 3, allowFewPositives: true }).n, 23);
  });

  test('refuses a site name that could not be a bucket', () => {
    assert.throws(() => calibrate({ ...input, site: 'Hospital A', allowFewPositives: true }), /site/);
  });
});

describe('checkCalibrationSet', () => {
  const set = (positives: number, negatives = 10) => [...Array<number>(positives).fill(1), ...Array<number>(negatives).fill(0)];
  const refused = (labels: number[], rule: Parameters<typeof checkCalibrationSet>[1]) => {
    try {
      checkCalibrationSet(labels, rule);
      return false;
    } catch (e) {
      if (e instanceof TooFewPositivesError) return true;
      throw e;
    }
  };

  test('the minimum is minPositives of the target and confidence: 59 at 95%/95%, 22 at 90%/90%', () => {
    assert.ok(refused(set(58), { targetSensitivity: 0.95 }));
    assert.deepEqual(checkCalibrationSet(set(59), { targetSensitivity: 0.95 }), {
      positives: 59,
      negatives: 10,
      neededPositives: 59,
      fewPositives: false,
    });
    assert.ok(refused(set(21), { targetSensitivity: 0.9, confidence: 0.9 }));
    assert.ok(!refused(set(22), { targetSensitivity: 0.9, confidence: 0.9 }));
  });

  test('allowFewPositives fits anyway and says the positives were few', () => {
    assert.deepEqual(checkCalibrationSet(set(12), { targetSensitivity: 0.95, allowFewPositives: true }), {
      positives: 12,
      negatives: 10,
      neededPositives: 59,
      fewPositives: true,
    });
  });

  test('no sample is enough to promise every positive', () => {
    assert.throws(() => checkCalibrationSet(set(5000), { targetSensitivity: 1 }), /no number of PNEUMONIA images \(here 5000\) can back/);
    assert.equal(checkCalibrationSet(set(20), { targetSensitivity: 1, allowFewPositives: true }).fewPositives, true);
  });

  test('too few of a class is refused before the positives are counted against the promise', () => {
    assert.throws(
      () => checkCalibrationSet(set(100, 9), { targetSensitivity: 0.95 }),
      (e: Error) => e instanceof CalibrationDataError && !(e instanceof TooFewPositivesError),
    );
  });
});
