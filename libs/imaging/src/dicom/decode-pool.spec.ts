import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageDecodeError } from '../errors';
import { DicomDecodePool } from './decode-pool';
import { TS, writeDicom, xray } from './test-support/dicom-writer';
import { encodeJpeg2000 } from './test-support/encoders';

const SIZE = 1536;

async function bigJpeg2000(): Promise<Buffer> {
  const pixels = Uint16Array.from({ length: SIZE * SIZE }, (_, i) => ((i % SIZE) * 7 + Math.floor(i / SIZE) * 3 + (i % 13) * 50) & 0xfff);
  const frame = await encodeJpeg2000(pixels, SIZE, SIZE, 12);
  return writeDicom(xray({ rows: SIZE, columns: SIZE, bitsStored: 12 }), {
    transferSyntax: TS.jpeg2000Lossless,
    encapsulated: { fragments: [frame] },
  });
}

test('a large JPEG 2000 decodes in a worker thread: the event loop keeps running meanwhile', async () => {
  const pool = new DicomDecodePool(1 << 30, 1);
  try {
    const file = await bigJpeg2000();
    await pool.decode(file, 40_000_000); // starts the worker and compiles the codec
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    const pixels = await pool.decode(file, 40_000_000);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    assert.deepEqual([pixels.width, pixels.height, pixels.data.length], [SIZE, SIZE, SIZE * SIZE]);
    // Decoded on this thread, the codec would block every tick for as long as it takes.
    assert.ok(ticks >= Math.floor(elapsed / 5 / 4), `${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
  } finally {
    await pool.close();
  }
});

test('decodes wait for the memory budget, and one that could never fit it is refused', async () => {
  const file = await bigJpeg2000();
  // About 2 x file + 5 bytes per pixel: 11.8 MB here.
  const tight = new DicomDecodePool(16 << 20, 2);
  try {
    const both = await Promise.all([tight.decode(file, 40_000_000), tight.decode(file, 40_000_000)]);
    assert.deepEqual(both[0]!.data, both[1]!.data, 'both decoded, one after the other');
  } finally {
    await tight.close();
  }
  const small = new DicomDecodePool(1 << 20, 1);
  try {
    await assert.rejects(
      small.decode(file, 40_000_000),
      (err: unknown) =>
        err instanceof ImageDecodeError && err.reason === 'too-many-pixels' && /more than the decode budget of 1048576/.test(err.message),
    );
  } finally {
    await small.close();
  }
});
