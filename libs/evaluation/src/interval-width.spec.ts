import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { moreTrialsForWidth } from './interval-width';
import { wilsonInterval } from './site-calibration';

const Z = 1.96;

/** The fewest trials at proportion p whose Wilson interval is at most w wide, from the interval's
 * closed form: w²(n + z²)² = 4z²(p(1-p)n + z²/4), a quadratic in n; its larger root, rounded up. */
function trialsByFormula(p: number, w: number): number {
  const z2 = Z * Z;
  const a = w * w;
  const b = 2 * w * w * z2 - 4 * z2 * p * (1 - p);
  const c = w * w * z2 * z2 - z2 * z2;
  return Math.ceil((-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a));
}

describe('moreTrialsForWidth', () => {
  test('agrees with the solved interval formula at and away from the ends', () => {
    for (const [count, of, width] of [
      [12, 12, 0.05],
      [11, 12, 0.05],
      [10, 20, 0.1],
      [45, 50, 0.05],
      [3, 40, 0.02],
    ] as const)
      assert.equal(moreTrialsForWidth(count, of, width), trialsByFormula(count / of, width) - of, `${count}/${of} to ${width}`);
  });

  test('every positive caught still leaves an interval: 12/12 needs 73 in all to be 5 points wide', () => {
    // At p = 1 the width is z² / (n + z²): n >= z²/w - z² = 72.99.
    assert.equal(moreTrialsForWidth(12, 12, 0.05), 61);
    const at73 = wilsonInterval(73, 73);
    const at72 = wilsonInterval(72, 72);
    assert.ok(at73.high - at73.low <= 0.05 && at72.high - at72.low > 0.05);
  });

  test('is 0 for an interval already that narrow, and more for a narrower one', () => {
    assert.equal(moreTrialsForWidth(900, 1000, 0.05), 0);
    assert.ok(moreTrialsForWidth(900, 1000, 0.02) > 0);
    assert.ok(moreTrialsForWidth(45, 50, 0.02) > moreTrialsForWidth(45, 50, 0.05));
  });

  test('refuses a width outside (0, 1) and what is not a proportion', () => {
    assert.throws(() => moreTrialsForWidth(5, 10, 0), /interval width must be in \(0, 1\)/);
    assert.throws(() => moreTrialsForWidth(5, 10, 1), /interval width/);
    assert.throws(() => moreTrialsForWidth(11, 10, 0.05), /not a proportion/);
    assert.throws(() => moreTrialsForWidth(0, 0, 0.05), /not a proportion/);
  });
});
