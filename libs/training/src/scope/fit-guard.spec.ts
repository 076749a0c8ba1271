import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '@pneumoscreen/evaluation';
import { fitGuard } from './fit-guard';
import { ScopeGuard } from '@pneumoscreen/inference';

const D = 16;

function gaussian(random: () => number, shift: number[] = []): Float32Array {
  return Float32Array.from({ length: D }, (_, j) => {
    const u = Math.max(random(), 1e-9);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    // Unequal variances, so that a plain Euclidean distance would not do.
    return z * (j < 4 ? 5 : 0.5) + (shift[j] ?? 0);
  });
}

test('a fitted guard refuses about its target share of held-out in-scope features and what lies far off, with the view that refused it', () => {
  const random = mulberry32(1);
  const inScope = Array.from({ length: 1500 }, () => gaussian(random));
  const calibration = Array.from({ length: 1000 }, () => gaussian(random));
  const notRadiograph = (): Float32Array => gaussian(random, [0, 0, 0, 0, 4, 4, 4, 4]);
  const lateral = (): Float32Array => gaussian(random, [0, 0, 0, 0, -4, -4, 0, 0, 4, 4]);
  const negatives = [
    ...Array.from({ length: 300 }, () => ({ features: notRadiograph(), view: 3 })),
    ...Array.from({ length: 300 }, () => ({ features: lateral(), view: 1 })),
  ];
  const guard = new ScopeGuard(fitGuard({ featureDim: D, inScope, negatives, calibration, falseRefusal: 0.01 }));

  const fresh = Array.from({ length: 2000 }, () => gaussian(random));
  const refused = fresh.filter((f) => guard.verdict(guard.score(f))).length / fresh.length;
  assert.ok(refused <= 0.04, `refused ${refused} of fresh in-scope features`);
  assert.equal(guard.verdict(guard.score(notRadiograph()))?.reason, 'not-radiograph');
  assert.equal(guard.verdict(guard.score(lateral()))?.reason, 'lateral');
  // Off along a low-variance direction no negative showed: only the distance can see it.
  const far = gaussian(random, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6]);
  const verdict = guard.verdict(guard.score(far));
  assert.ok(verdict, 'refused');
  assert.ok(verdict.score > 1, `score ${verdict.score} is past the line`);
});
