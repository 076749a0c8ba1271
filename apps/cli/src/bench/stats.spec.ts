import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAT_RSS_SLOPE_MB_PER_1000, RSS_NOISE_MB, memoryFlat, pearson, percentile, slope } from './stats';

test('nearest-rank percentiles', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 95), 10);
  assert.equal(percentile(xs, 10), 1);
  assert.equal(percentile([3], 99), 3);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('least-squares slope', () => {
  assert.equal(slope([0, 1, 2, 3], [5, 7, 9, 11]), 2);
  // Noise around a line: y = 3 + 0.5x with residuals +1, -1, -1, +1 (symmetric, so no tilt).
  assert.ok(Math.abs(slope([0, 2, 4, 6], [4, 3, 4, 7]) - 0.5) < 1e-12);
  assert.equal(slope([1, 2, 3], [4, 4, 4]), 0);
  assert.equal(slope([1, 2, 3], [9, 6, 3]), -3);
  assert.ok(Number.isNaN(slope([2], [1])));
  assert.ok(Number.isNaN(slope([2, 2], [1, 5])));
  assert.throws(() => slope([1, 2], [1]), /as many ys \(1\) as xs \(2\)/);
});

test('memory is flat under the RSS slope limit with an unchanged tensor count', () => {
  assert.equal(FLAT_RSS_SLOPE_MB_PER_1000, 2);
  const long = 9000;
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 0.3, windowImages: long, numTensorsStart: 110, numTensorsEnd: 110 }), true);
  assert.equal(memoryFlat({ rssSlopeMbPer1000: -4, windowImages: long, numTensorsStart: 110, numTensorsEnd: 110 }), true);
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 0.3, windowImages: long }), true, 'no tensor registry: RSS alone decides');
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 2, windowImages: long }), false);
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 0.3, windowImages: long, numTensorsStart: 110, numTensorsEnd: 111 }), false);
  assert.equal(memoryFlat({ rssSlopeMbPer1000: NaN, windowImages: long, numTensorsStart: 110, numTensorsEnd: 110 }), false);
});

test('on a short run a rise within allocator noise is flat, a larger one is not', () => {
  assert.equal(RSS_NOISE_MB, 10);
  // 700 post-warm-up images: 10.2 MB per 1,000 is a 7 MB rise.
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 10.2, windowImages: 700 }), true);
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 19, windowImages: 700 }), false, 'a 0.6 MB image leaked per batch of 32');
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 10.2, windowImages: 700, numTensorsStart: 139, numTensorsEnd: 140 }), false);
  // The noise allowance never excuses the full soak's limit: 2 MB per 1,000 over 9,000 images is 18 MB.
  assert.equal(memoryFlat({ rssSlopeMbPer1000: 2, windowImages: 9000 }), false);
  assert.equal(memoryFlat({ rssSlopeMbPer1000: NaN, windowImages: 700 }), false);
});

test('Pearson correlation: 1 for a scaled copy, -1 reversed, NaN against a constant', () => {
  assert.ok(Math.abs(pearson([1, 2, 3, 5], [3, 5, 7, 11]) - 1) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 2, 3], [4, 4, 4])));
});
