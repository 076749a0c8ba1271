import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile } from './stats';

test('nearest-rank percentiles', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 95), 10);
  assert.equal(percentile(xs, 10), 1);
  assert.equal(percentile([3], 99), 3);
  assert.ok(Number.isNaN(percentile([], 50)));
});
