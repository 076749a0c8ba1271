import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComparedMetrics } from '@pneumoscreen/contracts';
import { MIN_HELD_BACK_PER_CLASS, promotionGate, type GateInput } from './promotion-gate';

const row = (model: ComparedMetrics['model'], set: ComparedMetrics['set'], m: Partial<ComparedMetrics> = {}): ComparedMetrics => ({
  model,
  version: model === 'production' ? 'prod-1' : 'cand-1',
  set,
  n: 100,
  accuracy: 0.9,
  sensitivity: 0.95,
  specificity: 0.85,
  auc: 0.98,
  threshold: 0.5,
  ...m,
});

const gate = (comparison: ComparedMetrics[], extra: Partial<GateInput> = {}) =>
  promotionGate({ comparison, heldBack: { NORMAL: 0, PNEUMONIA: 0 }, targetSensitivity: 0.95, maxAucDrop: 0.005, ...extra });

test('a candidate as good as production passes', () => {
  assert.deepEqual(gate([row('production', 'validation'), row('candidate', 'validation')]), { passed: true, reasons: [] });
});

test('a reason from outside the comparison (a refused int8 model) fails an otherwise good candidate', () => {
  const verdict = gate([row('production', 'validation'), row('candidate', 'validation')], {
    also: ['its int8 model was refused: too far from the float model'],
  });
  assert.deepEqual(verdict, { passed: false, reasons: ['its int8 model was refused: too far from the float model'] });
});

test('validation AUC may drop by the margin, not more', () => {
  assert.equal(gate([row('production', 'validation'), row('candidate', 'validation', { auc: 0.9751 })]).passed, true);
  const verdict = gate([row('production', 'validation'), row('candidate', 'validation', { auc: 0.97 })]);
  assert.equal(verdict.passed, false);
  assert.deepEqual(verdict.reasons, [
    "candidate's validation AUC 0.9700 is 0.0100 below production prod-1's 0.9800, more than the allowed 0.005",
  ]);
});

test("sensitivity at the candidate's own threshold must reach the target less 0.02", () => {
  const base = [row('production', 'validation')];
  assert.equal(gate([...base, row('candidate', 'validation', { sensitivity: 0.93 })]).passed, true);
  const verdict = gate([...base, row('candidate', 'validation', { sensitivity: 0.92, threshold: 0.61 })]);
  assert.deepEqual(verdict.reasons, [
    "candidate's validation sensitivity 0.9200 at its threshold 0.6100 is below 0.9300 (target 0.95 less 0.02)",
  ]);
});

test('without production only the sensitivity rule applies', () => {
  assert.equal(gate([row('candidate', 'validation', { auc: 0.6 })]).passed, true);
  assert.equal(gate([row('candidate', 'validation', { sensitivity: 0.5 })]).passed, false);
});

test('held-back feedback applies the AUC rule only with enough images of both classes', () => {
  const rows = [
    row('production', 'validation'),
    row('candidate', 'validation'),
    row('production', 'feedback', { auc: 0.95 }),
    row('candidate', 'feedback', { auc: 0.9 }),
  ];
  const few = { NORMAL: MIN_HELD_BACK_PER_CLASS - 1, PNEUMONIA: 50 };
  assert.equal(gate(rows, { heldBack: few }).passed, true);
  const verdict = gate(rows, { heldBack: { NORMAL: MIN_HELD_BACK_PER_CLASS, PNEUMONIA: MIN_HELD_BACK_PER_CLASS } });
  assert.deepEqual(verdict.reasons, [
    "candidate's held-back feedback AUC 0.9000 is 0.0500 below production prod-1's 0.9500, more than the allowed 0.005",
  ]);
});

test('every failed rule is named', () => {
  const verdict = gate([row('production', 'validation'), row('candidate', 'validation', { auc: 0.5, sensitivity: 0.5 })]);
  assert.equal(verdict.reasons.length, 2);
});

test("a comparison without the candidate's validation row is a bug, not a verdict", () => {
  assert.throws(() => gate([row('production', 'validation')]), /no candidate row/);
});
