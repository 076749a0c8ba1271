import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { ASPECT_VIEWS, reshapedInput, STRESS_ASPECT } from './aspect-stress';

const SPEC: Preprocessing = { inputSize: [32, 32], mode: 'mobilenet', channels: 3 };

/** A black square on white whose sides are a quarter of the image, centred. */
async function centredSquare(): Promise<Buffer> {
  const rgb = Buffer.alloc(32 * 32 * 3, 255);
  for (let y = 12; y < 20; y++) for (let x = 12; x < 20; x++) rgb.fill(0, (y * 32 + x) * 3, (y * 32 + x) * 3 + 3);
  return sharp(rgb, { raw: { width: 32, height: 32, channels: 3 } })
    .png()
    .toBuffer();
}

/** Width and height of the dark region of a [-1, 1] input. */
function darkExtent(x: Float32Array): { width: number; height: number } {
  const cols = new Set<number>();
  const rows = new Set<number>();
  for (let y = 0; y < 32; y++) for (let col = 0; col < 32; col++) if (x[(y * 32 + col) * 3]! < 0) (rows.add(y), cols.add(col));
  return { width: cols.size, height: rows.size };
}

test('the narrower view stretches the image vertically and the wider one horizontally, by the stress ratio', async () => {
  const png = await centredSquare();
  const plain = darkExtent(await reshapedInput(SPEC, { left: 0, top: 0, width: 1, height: 1 })(png));
  const narrower = darkExtent(await reshapedInput(SPEC, ASPECT_VIEWS['aspectNarrower']!)(png));
  const wider = darkExtent(await reshapedInput(SPEC, ASPECT_VIEWS['aspectWider']!)(png));
  assert.deepEqual(plain, { width: 8, height: 8 });
  // Resampling may darken one more row or column at an edge.
  assert.ok(Math.abs(narrower.width - 8) <= 1, `narrower width ${narrower.width}`);
  assert.ok(Math.abs(narrower.height - 8 * STRESS_ASPECT) <= 1 && narrower.height > narrower.width, `narrower height ${narrower.height}`);
  assert.ok(Math.abs(wider.height - 8) <= 1, `wider height ${wider.height}`);
  assert.ok(Math.abs(wider.width - 8 * STRESS_ASPECT) <= 1 && wider.width > wider.height, `wider width ${wider.width}`);
});
