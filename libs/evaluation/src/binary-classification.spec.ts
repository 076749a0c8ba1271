import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy,
  binaryMetrics,
  confusionAt,
  rocAuc,
  rocPoints,
  sensitivity,
  specificity,
  thresholdForSensitivity,
} from './binary-classification';

test('AUC of a perfect ranking is 1 and of a reversed ranking is 0', () => {
  assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]), 1);
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]), 0);
});

test('AUC counts each positive/negative pair, ties as one half', () => {
  // Positives 0.8, 0.4; negatives 0.6, 0.4, 0.1.
  // Pairs won: 0.8 beats all 3; 0.4 beats 0.1, ties 0.4, loses to 0.6 -> (3 + 1 + 0.5) / 6.
  assert.equal(rocAuc([0.8, 0.4, 0.6, 0.4, 0.1], [1, 1, 0, 0, 0]), 4.5 / 6);
});

test('AUC of all-equal scores is 0.5, whatever the order of the input', () => {
  assert.equal(rocAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1]), 0.5);
  assert.equal(rocAuc([0.3, 0.3, 0.3, 0.3], [0, 1, 1, 0]), 0.5);
});

test('AUC is NaN when a class is missing', () => {
  assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [1, 1])));
});

test('ROC points step once per distinct score, from (0,0) to (1,1)', () => {
  const points = rocPoints([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]);
  assert.deepEqual(points, [
    { threshold: Infinity, fpr: 0, tpr: 0 },
    { threshold: 0.9, fpr: 0, tpr: 0.5 },
    { threshold: 0.5, fpr: 0.5, tpr: 1 },
    { threshold: 0.1, fpr: 1, tpr: 1 },
  ]);
});

test('confusion counts scores equal to the threshold as positive', () => {
  const c = confusionAt([0.9, 0.5, 0.5, 0.2, 0.7], [1, 1, 0, 0, 0], 0.5);
  assert.deepEqual(c, { tp: 2, fp: 2, tn: 1, fn: 0 });
  assert.equal(sensitivity(c), 1);
  assert.equal(specificity(c), 1 / 3);
  assert.equal(accuracy(c), 3 / 5);
});

test('threshold for a target sensitivity is the highest score that reaches it', () => {
  // Positives 0.9, 0.8, 0.6, 0.3; negatives 0.7, 0.2.
  const scores = [0.9, 0.8, 0.6, 0.3, 0.7, 0.2];
  const labels = [1, 1, 1, 1, 0, 0];
  assert.equal(thresholdForSensitivity(scores, labels, 0.5), 0.8);
  assert.equal(thresholdForSensitivity(scores, labels, 0.75), 0.6);
  assert.equal(thresholdForSensitivity(scores, labels, 0.95), 0.3);
  assert.equal(thresholdForSensitivity(scores, labels, 1), 0.3);
  const c = confusionAt(scores, labels, thresholdForSensitivity(scores, labels, 0.75));
  assert.equal(sensitivity(c), 0.75);
  assert.equal(specificity(c), 0.5);
});

test('threshold search refuses impossible targets and missing positives', () => {
  assert.throws(() => thresholdForSensitivity([0.1], [1], 0), /must be in/);
  assert.throws(() => thresholdForSensitivity([0.1, 0.2], [0, 0], 0.9), /no positive labels/);
});

test('mismatched lengths and non-binary labels are rejected', () => {
  assert.throws(() => rocAuc([0.1, 0.2], [1]), /2 scores but 1 labels/);
  assert.throws(() => confusionAt([0.1], [2], 0.5), /expected 0 or 1/);
});

test('binaryMetrics bundles everything at one threshold', () => {
  const m = binaryMetrics([0.9, 0.6, 0.4, 0.1], [1, 0, 1, 0], 0.5);
  assert.deepEqual(m, {
    n: 4,
    accuracy: 0.5,
    sensitivity: 0.5,
    specificity: 0.5,
    auc: 0.75,
    threshold: 0.5,
    confusion: { tp: 1, fp: 1, tn: 1, fn: 1 },
  });
});
