import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brierScore, expectedCalibrationError, meanConfidence } from './probability-calibration';

test('brierScore: squared error of the probability against the label', () => {
  assert.equal(brierScore([1, 0], [1, 0]), 0);
  assert.equal(brierScore([0.5, 0.5], [1, 0]), 0.25);
  assert.ok(Math.abs(brierScore([0.9, 0.2], [1, 0]) - (0.01 + 0.04) / 2) < 1e-12);
});

test('expectedCalibrationError: zero when each bin holds its own share of positives', () => {
  // Bin 0.2-0.3: 5 images at 0.2 with 1 positive; bin 0.8-0.9: 5 at 0.8 with 4 positives.
  const scores = [0.2, 0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.8, 0.8];
  const labels = [1, 0, 0, 0, 0, 1, 1, 1, 1, 0];
  assert.ok(expectedCalibrationError(scores, labels) < 1e-12);
});

test('expectedCalibrationError: an overconfident model pays the gap, weighted by bin share', () => {
  // All at 0.95 but only half positive: gap 0.45 in the one bin. A score of 1 falls in the top bin.
  assert.ok(Math.abs(expectedCalibrationError([0.95, 0.95, 1, 1], [1, 0, 1, 0]) - (1.9 - 1 + 2 - 1) / 4) < 1e-12);
});

test('meanConfidence: 0.5 for undecided scores, 1 for certain ones either way', () => {
  assert.equal(meanConfidence([0.5, 0.5]), 0.5);
  assert.equal(meanConfidence([0, 1]), 1);
  assert.ok(Math.abs(meanConfidence([0.2, 0.7]) - 0.75) < 1e-12);
});
