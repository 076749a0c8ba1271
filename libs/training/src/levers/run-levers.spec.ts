import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viewResult } from './run-levers';

test('viewResult: operating point at the given threshold, calibration, and confidence of the errors only', () => {
  const scores = Float32Array.from([0.9, 0.6, 0.3, 0.1]);
  const labels = Uint8Array.from([1, 0, 1, 0]);
  const r = viewResult(scores, labels, 0.5);
  assert.equal(r.sensitivity, 0.5);
  assert.equal(r.specificity, 0.5);
  assert.equal(r.auc, 0.75);
  // The errors are 0.6 (a NORMAL called pneumonia) and 0.3 (a PNEUMONIA called normal).
  assert.ok(Math.abs(r.confidenceWhenWrong - (0.6 + 0.7) / 2) < 1e-6);
  assert.ok(Math.abs(r.confidence - (0.9 + 0.6 + 0.7 + 0.9) / 4) < 1e-6);
  assert.ok(Math.abs(r.brier - (0.01 + 0.36 + 0.49 + 0.01) / 4) < 1e-6);
  assert.ok(
    Number.isNaN(viewResult(Float32Array.from([0.9, 0.1]), Uint8Array.from([1, 0]), 0.5).confidenceWhenWrong),
    'no errors: no confidence to report',
  );
});
