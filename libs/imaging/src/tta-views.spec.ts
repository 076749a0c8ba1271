import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageScores, nestedView, NO_AUGMENTATION, TTA_VIEWS } from './tta-views';

test('TTA_VIEWS stay inside the film and change it only a little', () => {
  for (const [name, { crop, contrast, brightness }] of Object.entries(TTA_VIEWS)) {
    assert.ok(crop.left >= 0 && crop.top >= 0 && crop.left + crop.width <= 1 && crop.top + crop.height <= 1, name);
    assert.ok(crop.width >= 0.9 && crop.height >= 0.9, `${name} keeps 90% of the field`);
    assert.ok(Math.abs(contrast - 1) <= 0.15 && Math.abs(brightness) <= 20, name);
  }
});

test('nestedView: the view crops inside the outer crop', () => {
  const outer = { left: 0.1, top: 0, width: 0.8, height: 1 };
  const nested = nestedView(outer, TTA_VIEWS.zoom);
  assert.deepEqual(nested.crop, { left: 0.1 + 0.04 * 0.8, top: 0.04, width: 0.92 * 0.8, height: 0.92 });
  assert.equal(nested.contrast, 1);
  assert.deepEqual(nestedView(outer, NO_AUGMENTATION).crop, outer);
  assert.equal(nestedView(NO_AUGMENTATION.crop, TTA_VIEWS.exposure).brightness, -12);
});

test('averageScores: the per-image mean, and refuses mismatched lengths', () => {
  assert.deepEqual(
    [
      ...averageScores([
        [0, 1],
        [1, 0.5],
      ]),
    ],
    [0.5, 0.75],
  );
  assert.throws(() => averageScores([[0, 1], [1]]), /do not match/);
  assert.throws(() => averageScores([]), /at least one/);
});
