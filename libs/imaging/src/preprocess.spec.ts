import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { ImageDecodeError, normaliseInto, preprocess } from './index';
import { embedIccInPng, greyIccProfile } from './grey-icc.fixture';

const MOBILENET_4: Preprocessing = { mode: 'mobilenet', inputSize: [4, 4], channels: 3 };
const CAFFE_4: Preprocessing = { mode: 'caffe', inputSize: [4, 4], channels: 3 };

function solid(width: number, height: number, channels: 3 | 4, rgb: [number, number, number], alpha = 1) {
  const [r, g, b] = rgb;
  return sharp({ create: { width, height, channels, background: { r, g, b, alpha } } });
}

/** Every pixel of `out` must equal `expected` (one value per channel). */
function assertUniform(out: Float32Array, expected: readonly number[], tolerance = 1e-6) {
  assert.equal(out.length % 3, 0);
  for (let i = 0; i < out.length; i++) {
    const want = expected[i % 3]!;
    assert.ok(Math.abs(out[i]! - want) <= tolerance, `value ${i} = ${out[i]}, expected ${want}`);
  }
}

test('8-bit grayscale PNG becomes 3 equal channels scaled to [-1, 1]', async () => {
  const png = await sharp(Buffer.alloc(6 * 6, 51), { raw: { width: 6, height: 6, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  assert.equal((await sharp(png).metadata()).channels, 1, 'fixture must really be single-channel');
  const out = await preprocess(png, MOBILENET_4);
  assert.equal(out.length, 4 * 4 * 3);
  assertUniform(out, [51 / 127.5 - 1, 51 / 127.5 - 1, 51 / 127.5 - 1]);
});

test('16-bit grayscale PNG is scaled to 8 bits before normalising', async () => {
  // 0x4000 / 257 rounds to 64; reading the samples as bytes would give alternating 0 and 64.
  const samples = new Uint16Array(5 * 5).fill(0x4000);
  const png = await sharp(samples, { raw: { width: 5, height: 5, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
  const meta = await sharp(png).metadata();
  assert.equal(meta.depth, 'ushort', 'fixture must really be 16-bit');
  const expected = 64 / 127.5 - 1;
  assertUniform(await preprocess(png, MOBILENET_4), [expected, expected, expected], 1 / 127.5 + 1e-6);
});

test('16-bit RGB PNG keeps per-channel values', async () => {
  const samples = new Uint16Array(4 * 4 * 3);
  for (let i = 0; i < samples.length; i += 3) samples.set([0, 65535, 0], i);
  const png = await sharp(samples, { raw: { width: 4, height: 4, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  assertUniform(await preprocess(png, MOBILENET_4), [-1, 1, -1]);
});

test('alpha channel is removed and transparent pixels become black', async () => {
  const opaque = await solid(8, 8, 4, [255, 0, 255], 1).png().toBuffer();
  assertUniform(await preprocess(opaque, MOBILENET_4), [1, -1, 1]);
  const transparent = await solid(8, 8, 4, [255, 255, 255], 0).png().toBuffer();
  assertUniform(await preprocess(transparent, MOBILENET_4), [-1, -1, -1]);
});

test('JPEG of a known colour gives exact caffe values (BGR minus ImageNet means)', async () => {
  // Mid-grey survives JPEG's chroma subsampling and quantisation exactly.
  const jpeg = await solid(32, 20, 3, [128, 128, 128]).jpeg({ quality: 100 }).toBuffer();
  assertUniform(await preprocess(jpeg, CAFFE_4), [128 - 103.939, 128 - 116.779, 128 - 123.68], 1e-4);
});

test('caffe mode swaps RGB to BGR', async () => {
  const png = await solid(4, 4, 3, [200, 100, 50]).png().toBuffer();
  assertUniform(await preprocess(png, CAFFE_4), [50 - 103.939, 100 - 116.779, 200 - 123.68], 1e-4);
});

test('an embedded ICC profile is ignored: stored pixel values are what the model was trained on', async () => {
  const plain = await sharp(Buffer.alloc(4 * 4, 128), { raw: { width: 4, height: 4, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  const tagged = embedIccInPng(plain, greyIccProfile(1.8));
  // A colour-managed decode turns grey 128 under gamma 1.8 into ~146 in sRGB.
  const managed = (await sharp(tagged).toColourspace('srgb').raw().toBuffer())[0]!;
  assert.ok(managed > 140, `fixture profile must be effective, colour-managed value ${managed}`);
  assertUniform(await preprocess(tagged, MOBILENET_4), [128 / 127.5 - 1, 128 / 127.5 - 1, 128 / 127.5 - 1]);
});

test('normaliseInto fills one image of a batch in place, with the values preprocess gives', () => {
  const rgb = Uint8Array.from([0, 127, 255, 10, 20, 30]);
  const batch = new Float32Array(12).fill(7);
  normaliseInto(rgb, 'mobilenet', batch, 6);
  assert.deepEqual([...batch.subarray(0, 6)], [7, 7, 7, 7, 7, 7], 'the batch before the offset is untouched');
  assert.deepEqual(
    [...batch.subarray(6)],
    [...rgb].map((v) => Math.fround(v / 127.5 - 1)),
  );
  normaliseInto(rgb, 'caffe', batch, 0);
  assert.deepEqual([...batch.subarray(0, 3)], [255 - 103.939, 127 - 116.779, 0 - 123.68].map(Math.fround), 'caffe: BGR minus the means');
  assert.throws(() => normaliseInto(rgb, 'mobilenet', batch, 7), RangeError);
});

test('resizes to [height, width] without keeping aspect ratio', async () => {
  const png = await solid(300, 100, 3, [255, 255, 255]).png().toBuffer();
  const out = await preprocess(png, { mode: 'mobilenet', inputSize: [7, 3], channels: 3 });
  assert.equal(out.length, 7 * 3 * 3);
  assertUniform(out, [1, 1, 1]);
});

test('EXIF orientation is applied before resizing', async () => {
  // Left half black, right half white; orientation 6 means "rotate 90 degrees clockwise to view",
  // so the viewer sees black on top.
  const width = 8;
  const raw = Buffer.alloc(width * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = width / 2; x < width; x++) raw.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  const jpeg = await sharp(raw, { raw: { width, height: 4, channels: 3 } })
    .jpeg({ quality: 100 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const out = await preprocess(jpeg, { mode: 'mobilenet', inputSize: [8, 4], channels: 3 });
  assert.ok(out[0]! < -0.9, `top-left should be black, got ${out[0]}`);
  assert.ok(out[out.length - 1]! > 0.9, `bottom-right should be white, got ${out[out.length - 1]}`);
});

async function rejectsWith(promise: Promise<unknown>, reason: string, message: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ImageDecodeError, `expected ImageDecodeError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.match(err.message, message);
    return true;
  });
}

test('empty input is rejected', async () => {
  await rejectsWith(preprocess(Buffer.alloc(0), MOBILENET_4), 'empty', /empty/);
});

test('bytes that are not an image are rejected', async () => {
  await rejectsWith(preprocess(Buffer.from('{"not":"an image"}'), MOBILENET_4), 'unsupported-format', /not a readable image/);
});

test('image formats other than JPEG and PNG are rejected', async () => {
  const webp = await solid(4, 4, 3, [1, 2, 3]).webp().toBuffer();
  await rejectsWith(preprocess(webp, MOBILENET_4), 'unsupported-format', /webp/);
});

/** A JPEG whose entropy-coded data is busy everywhere, so damage anywhere in it is noticed. */
function busyJpeg() {
  const raw = Buffer.alloc(300 * 300 * 3);
  let state = 1;
  for (let i = 0; i < raw.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = (state >> 16) & 255;
  }
  return sharp(raw, { raw: { width: 300, height: 300, channels: 3 } })
    .jpeg()
    .toBuffer();
}

test('truncated JPEG is reported as corrupt', async () => {
  const jpeg = await busyJpeg();
  await rejectsWith(preprocess(jpeg.subarray(0, Math.floor(jpeg.length / 2)), MOBILENET_4), 'corrupt', /corrupt JPEG/);
  await rejectsWith(preprocess(jpeg.subarray(0, 100), MOBILENET_4), 'corrupt', /corrupt image header/);
});

test('JPEG with damaged entropy-coded data is refused, not scored as a smeared picture', async () => {
  const jpeg = Buffer.from(await busyJpeg());
  // A restart marker where none belongs: libjpeg only warns, then fills the rest with grey.
  jpeg[Math.floor(jpeg.length / 2)] = 0xff;
  jpeg[Math.floor(jpeg.length / 2) + 1] = 0xd3;
  const spec: Preprocessing = { mode: 'mobilenet', inputSize: [224, 224], channels: 3 };
  await rejectsWith(preprocess(jpeg, spec), 'corrupt', /corrupt JPEG/);
});

test('images above the pixel limit are rejected before decoding', async () => {
  const png = await solid(100, 50, 3, [0, 0, 0]).png().toBuffer();
  await rejectsWith(preprocess(png, MOBILENET_4, { maxPixels: 4999 }), 'too-many-pixels', /5000 pixels/);
  assert.equal((await preprocess(png, MOBILENET_4, { maxPixels: 5000 })).length, 48);
});
