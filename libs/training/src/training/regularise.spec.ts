import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '@pneumoscreen/evaluation';
import { mixValues, mixupPlan, sampleBeta, smoothedTarget } from './regularise';

test('smoothedTarget: pulls 0/1 towards 0.5 by epsilon, 0 leaves it', () => {
  assert.equal(smoothedTarget(1, 0), 1);
  assert.equal(smoothedTarget(0, 0), 0);
  assert.ok(Math.abs(smoothedTarget(0, 0.1) - 0.05) < 1e-12);
  assert.ok(Math.abs(smoothedTarget(1, 0.1) - 0.95) < 1e-12);
});

test('sampleBeta: mean 1/2 and variance 1/(4(2a+1)) of Beta(a, a), below and above a = 1', () => {
  for (const alpha of [0.2, 2]) {
    const random = mulberry32(7);
    const draws = Array.from({ length: 20000 }, () => sampleBeta(alpha, random));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `alpha ${alpha}: mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / (4 * (2 * alpha + 1))) < 0.01, `alpha ${alpha}: variance ${variance}`);
    assert.ok(draws.every((b) => b >= 0 && b <= 1));
  }
});

test('mixupPlan: partners are a permutation and each row keeps at least half of itself', () => {
  const plan = mixupPlan(64, 0.4, mulberry32(3));
  assert.deepEqual(
    [...plan.partner].sort((a, b) => a - b),
    Array.from({ length: 64 }, (_, i) => i),
  );
  assert.ok(plan.lambda.every((l) => l >= 0.5 && l <= 1));
  assert.ok(
    plan.lambda.some((l) => l < 0.9),
    'alpha 0.4 mixes some rows noticeably',
  );
});

test('mixValues: each value is its lambda-weighted blend with its partner', () => {
  const plan = { partner: [1, 0, 2], lambda: [0.75, 0.5, 1] };
  assert.deepEqual(mixValues([1, 0, 1], plan), [0.75, 0.5, 1]);
});
