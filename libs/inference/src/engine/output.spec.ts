import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pneumoniaProbabilities } from './output';

test('a single sigmoid unit is P(PNEUMONIA) as is', () => {
  assert.deepEqual(Array.from(pneumoniaProbabilities(new Float32Array([0.25, 0.75]), 1, 2)), [0.25, 0.75]);
});

test('a 2-class softmax gives its PNEUMONIA column', () => {
  const out = pneumoniaProbabilities(new Float32Array([0.75, 0.25, 0.125, 0.875]), 2, 2);
  assert.deepEqual(Array.from(out), [0.25, 0.875]);
});

test('logits and other shapes are refused', () => {
  assert.throws(() => pneumoniaProbabilities(new Float32Array([2.5]), 1, 1), /not a probability/);
  assert.throws(() => pneumoniaProbabilities(new Float32Array([0.5, 0.9]), 2, 1), /do not sum to 1/);
  assert.throws(() => pneumoniaProbabilities(new Float32Array([0.2, 0.3, 0.5]), 3, 1), /3 outputs per image/);
  assert.throws(() => pneumoniaProbabilities(new Float32Array([0.2, 0.3]), 1, 3), /2 values for 3 images/);
});

test('a saturated sigmoid a float32 rounding step past 0 or 1 is clamped, not refused', () => {
  assert.deepEqual(Array.from(pneumoniaProbabilities(new Float32Array([1.0000001192092896, -1e-7]), 1, 2)), [1, 0]);
  assert.throws(() => pneumoniaProbabilities(new Float32Array([1.001]), 1, 1), /not a probability/);
});
