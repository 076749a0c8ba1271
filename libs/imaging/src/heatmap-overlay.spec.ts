import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodePng, heatmapOverlay, jet, type HeatValues, type RgbImage } from './heatmap-overlay';

/** The blend as first written: each pixel's map value sampled bilinearly and its colour computed. */
function referencePixel(film: RgbImage, map: HeatValues, x: number, y: number): number[] {
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const gx = clamp(((x + 0.5) / film.width) * map.width - 0.5, map.width - 1);
  const gy = clamp(((y + 0.5) / film.height) * map.height - 0.5, map.height - 1);
  const [x0, y0] = [Math.floor(gx), Math.floor(gy)];
  const [x1, y1] = [Math.min(x0 + 1, map.width - 1), Math.min(y0 + 1, map.height - 1)];
  const at = (cx: number, cy: number) => map.values[cy * map.width + cx]!;
  const [fx, fy] = [gx - x0, gy - y0];
  const v = (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
  const a = 0.6 * v;
  return jet(v).map((c, k) => Math.round(film.data[(y * film.width + x) * 3 + k]! * (1 - a) + c * a));
}

function random(seed: number): () => number {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

const rnd = random(7);
const film: RgbImage = { data: Uint8Array.from({ length: 60 * 50 * 3 }, () => Math.floor(rnd() * 256)), width: 60, height: 50 };

test('every pixel is within one level of the exact blend of film and jet colour', () => {
  const map: HeatValues = { values: Float32Array.from({ length: 7 * 6 }, rnd), width: 7, height: 6 };
  const out = heatmapOverlay(film, map);
  assert.equal(out.width, 60 + 32);
  let differing = 0;
  for (let y = 0; y < film.height; y++) {
    for (let x = 0; x < film.width; x++) {
      const got = [...out.data.subarray((y * out.width + x) * 3, (y * out.width + x) * 3 + 3)];
      const want = referencePixel(film, map, x, y);
      assert.ok(
        got.every((g, k) => Math.abs(g - want[k]!) <= 1),
        `(${x}, ${y}): ${got} vs ${want}`,
      );
      if (got.some((g, k) => g !== want[k])) differing++;
    }
  }
  assert.ok(differing < 0.2 * film.width * film.height, `${differing} pixels differ`);
});

test('where the map is 0 the film shows as it is; the scale runs from jet(1) at the top to jet(0) at the bottom', () => {
  const out = heatmapOverlay(film, { values: new Float32Array(4), width: 2, height: 2 });
  for (let y = 0; y < film.height; y++)
    assert.deepEqual(
      out.data.subarray(y * out.width * 3, (y * out.width + film.width) * 3),
      film.data.subarray(y * film.width * 3, (y + 1) * film.width * 3),
    );
  const bar = (y: number) => [...out.data.subarray((y * out.width + film.width + 8) * 3, (y * out.width + film.width + 8) * 3 + 3)];
  assert.deepEqual(bar(8), jet(1));
  assert.deepEqual(bar(film.height - 9), jet(0));
});

test('the PNG holds the overlay losslessly', async () => {
  const out = heatmapOverlay(film, { values: Float32Array.of(0, 0.5, 1, 0.25), width: 2, height: 2 });
  const { data, info } = await sharp(await encodePng(out))
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [out.width, out.height, 3]);
  assert.deepEqual(new Uint8Array(data), out.data);
});
