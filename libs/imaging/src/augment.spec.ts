import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentRgb, MAX_ASPECT_CHANGE, randomAugmentation, type Augmentation } from './augment';

const IDENTITY: Augmentation = { crop: { left: 0, top: 0, width: 1, height: 1 }, contrast: 1, brightness: 0 };

function gradient(size: number): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) rgb.fill(Math.round((x / (size - 1)) * 255), (y * size + x) * 3, (y * size + x) * 3 + 3);
  return rgb;
}

test('the identity augmentation returns the image unchanged', async () => {
  const rgb = gradient(16);
  assert.deepEqual(await augmentRgb(rgb, [16, 16], IDENTITY), rgb);
});

test('contrast stretches around mid-grey and brightness shifts, clamped to 8 bits', async () => {
  const rgb = new Uint8Array([100, 128, 250, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const out = await augmentRgb(rgb, [2, 2], { ...IDENTITY, contrast: 1.5, brightness: 10 });
  assert.deepEqual(Array.from(out.subarray(0, 3)), [96, 138, 255]);
});

test('cropping the right half and stretching it brightens the left edge of a left-to-right gradient', async () => {
  const out = await augmentRgb(gradient(16), [16, 16], { ...IDENTITY, crop: { left: 0.5, top: 0, width: 0.5, height: 1 } });
  assert.equal(out.length, 16 * 16 * 3);
  assert.ok(out[0]! > 120, `left edge is ${out[0]}`);
  assert.ok(out[out.length - 1]! > 250);
});

test('random augmentations stay inside the image and the documented ranges', () => {
  let state = 0;
  const sequence = [0, 1, 0.5, 0.999, 0.001];
  const random = () => sequence[state++ % sequence.length]!;
  for (let i = 0; i < 20; i++) {
    const a = randomAugmentation(random);
    assert.ok(a.crop.left >= 0 && a.crop.left + a.crop.width <= 1 + 1e-12);
    assert.ok(a.crop.top >= 0 && a.crop.top + a.crop.height <= 1 + 1e-12);
    assert.ok(Math.max(a.crop.width, a.crop.height) >= 0.88 - 1e-12);
    const aspect = a.crop.width / a.crop.height;
    assert.ok(aspect >= 1 / MAX_ASPECT_CHANGE - 1e-9 && aspect <= MAX_ASPECT_CHANGE + 1e-9, `aspect change ${aspect}`);
    assert.ok(a.contrast >= 0.85 && a.contrast <= 1.15);
    assert.ok(a.brightness >= -20 && a.brightness <= 20);
  }
});

test('random augmentations change the aspect ratio both ways, up to the documented limit', () => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const aspects = Array.from({ length: 2000 }, () => {
    const { crop } = randomAugmentation(random);
    return crop.width / crop.height;
  });
  assert.ok(Math.min(...aspects) < 1 / 1.25, `narrowest ${Math.min(...aspects)}`);
  assert.ok(Math.max(...aspects) > 1.25, `widest ${Math.max(...aspects)}`);
});
