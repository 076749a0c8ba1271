import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { augmentedCacheKey, augmentedInput, shapeSwapCacheKey, shapeSwappedInput } from './augmented-input';

const SPEC: Preprocessing = { inputSize: [64, 64], mode: 'mobilenet', channels: 3 };

/** A black square on white whose sides are a quarter of the image, centred. */
async function centredSquare(): Promise<Buffer> {
  const rgb = Buffer.alloc(64 * 64 * 3, 255);
  for (let y = 24; y < 40; y++) for (let x = 24; x < 40; x++) rgb.fill(0, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
  return sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toBuffer();
}

/** Height over width of the darkest region of a [-1, 1] input. */
function darkShape(x: Float32Array): number {
  let min = Infinity;
  for (let i = 0; i < x.length; i += 3) min = Math.min(min, x[i]!);
  const cols = new Set<number>();
  const rows = new Set<number>();
  for (let y = 0; y < 64; y++) for (let c = 0; c < 64; c++) if (x[(y * 64 + c) * 3]! < min + 0.5) (rows.add(y), cols.add(c));
  return rows.size / cols.size;
}

test('a NORMAL image gets a narrower body (taller square) and a PNEUMONIA image a wider one, in every copy', async () => {
  const png = await centredSquare();
  for (let copy = 1; copy <= 4; copy++) {
    const normal = darkShape(await shapeSwappedInput(SPEC, 42, copy, 0)(png));
    const pneumonia = darkShape(await shapeSwappedInput(SPEC, 42, copy, 1)(png));
    assert.ok(normal > 1.05, `copy ${copy}: NORMAL height/width ${normal}`);
    assert.ok(pneumonia < 1 / 1.05, `copy ${copy}: PNEUMONIA height/width ${pneumonia}`);
  }
});

test('copies are reproducible from the bytes, seed and copy number, and differ between copies', async () => {
  const png = await centredSquare();
  assert.deepEqual(await shapeSwappedInput(SPEC, 42, 1, 0)(png), await shapeSwappedInput(SPEC, 42, 1, 0)(png));
  assert.notDeepEqual(await shapeSwappedInput(SPEC, 42, 1, 0)(png), await shapeSwappedInput(SPEC, 42, 2, 0)(png));
  assert.notDeepEqual(await shapeSwappedInput(SPEC, 42, 1, 0)(png), await augmentedInput(SPEC, 42, 1)(png));
});

test('each label and copy has a cache of its own, apart from the augmented copies', () => {
  const keys = new Set([
    shapeSwapCacheKey('k', 42, 1, 0),
    shapeSwapCacheKey('k', 42, 1, 1),
    shapeSwapCacheKey('k', 42, 2, 0),
    augmentedCacheKey('k', 42, 1),
  ]);
  assert.equal(keys.size, 4);
});
