import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { TS, type Item } from './test-support/dicom-writer';
import { encodeJpeg2000, encodeJpegLossless, encodeRle } from './test-support/encoders';
import { COLS, ROWS, file, greyOf, ramp, windowed } from './test-support/fixtures';

// How DICOM pixels become the grey the model sees; what is refused is in decode-dicom-refusals.spec.ts.

/** What the DICOM grayscale pipeline must give for `ramp()` under `windowed`, computed here in the
 * plainest way (PS3.3 C.11.2.1.2.1) rather than by the code under test. */
function expectedWindowed(values: Uint16Array, invert = false): number[] {
  return Array.from(values, (x) => {
    const y = x <= 2047.5 - 2047.5 ? 0 : x > 2047.5 + 2047.5 ? 1 : (x - 2047.5) / 4095 + 0.5;
    return Math.round((invert ? 1 - y : y) * 255);
  });
}

test('16-bit explicit VR file: window applied pixel by pixel, overlay bits above Bits Stored ignored', async () => {
  const pixels = ramp();
  const withOverlay = pixels.map((v, i) => (i % 3 === 0 ? v | 0x8000 : v));
  const dcm = file({ rows: ROWS, columns: COLS, bitsStored: 12, pixels: withOverlay, extra: windowed });
  assert.deepEqual(await greyOf(dcm), expectedWindowed(pixels));
});

test('MONOCHROME1 is inverted: its highest value is black', async () => {
  const pixels = ramp();
  const dcm = file({ rows: ROWS, columns: COLS, bitsStored: 12, photometric: 'MONOCHROME1', pixels, extra: windowed });
  assert.deepEqual(await greyOf(dcm), expectedWindowed(pixels, true));
});

test('rescale slope/intercept then window centre/width, on signed samples', async () => {
  // Stored -500..500 in steps; HU = 2 * stored - 24; window 0 / 401 covers HU -200..200.
  const stored = Int16Array.from({ length: ROWS * COLS }, (_, i) => (i % 41) * 25 - 500);
  const extra: Item = [
    [0x00281050, 'DS', '0'],
    [0x00281051, 'DS', '401'],
    [0x00281052, 'DS', '-24'],
    [0x00281053, 'DS', '2'],
  ];
  const dcm = file({ rows: ROWS, columns: COLS, signed: true, pixels: new Uint16Array(stored.buffer), extra });
  const expected = Array.from(stored, (s) => {
    const hu = 2 * s - 24;
    return hu <= -200.5 ? 0 : hu > 199.5 ? 255 : Math.round(((hu + 0.5) / 400 + 0.5) * 255);
  });
  assert.deepEqual(await greyOf(dcm), expected);
});

test('VOI LUT sequence is read from an implicit VR file and wins over the window', async () => {
  const pixels = Uint16Array.from({ length: ROWS * COLS }, (_, i) => i % 4);
  const lut: Item = [
    [0x00283002, 'US', [4, 0, 8]],
    [0x00283006, 'US', [255, 170, 85, 0]],
  ];
  const dcm = file({ rows: ROWS, columns: COLS, pixels, extra: [...windowed, [0x00283010, 'SQ', [lut]]] }, { transferSyntax: TS.implicit });
  assert.deepEqual(
    await greyOf(dcm),
    Array.from(pixels, (v) => 255 - 85 * v),
  );
});

test('without any VOI, deep data are stretched from minimum to maximum', async () => {
  const pixels = Uint16Array.from({ length: ROWS * COLS }, (_, i) => 1000 + (i % 3) * 500);
  assert.deepEqual(
    await greyOf(file({ rows: ROWS, columns: COLS, bitsStored: 12, pixels })),
    Array.from(pixels, (v) => [0, 128, 255][(v - 1000) / 500]),
  );
});

test('8-bit data with no VOI keep their values', async () => {
  const pixels = Uint8Array.from({ length: ROWS * COLS }, (_, i) => 40 + (i % 100));
  assert.deepEqual(await greyOf(file({ rows: ROWS, columns: COLS, bitsAllocated: 8, pixels })), Array.from(pixels));
});

test('multi-frame: the first frame is judged', async () => {
  const first = ramp();
  const second = ramp(2000);
  const both = new Uint16Array(first.length * 2);
  both.set(first);
  both.set(second, first.length);
  const dcm = file({ rows: ROWS, columns: COLS, bitsStored: 12, frames: 2, pixels: both, extra: windowed });
  assert.deepEqual(await greyOf(dcm), expectedWindowed(first));
});

test('files without preamble, without file meta group, or bare implicit/explicit data sets read the same', async () => {
  const pixels = ramp();
  const spec = { rows: ROWS, columns: COLS, bitsStored: 12, pixels, extra: windowed };
  const expected = expectedWindowed(pixels);
  for (const opts of [
    { preamble: false },
    { meta: false, transferSyntax: TS.implicit },
    { meta: false, transferSyntax: TS.explicit },
    { transferSyntax: TS.implicit },
  ]) {
    assert.deepEqual(await greyOf(file(spec, opts)), expected, JSON.stringify(opts));
  }
});

test('JPEG lossless, JPEG 2000 and RLE frames decode to exactly the native pixels', async () => {
  const pixels = ramp();
  const base = { rows: ROWS, columns: COLS, bitsStored: 12, extra: windowed };
  const expected = expectedWindowed(pixels);
  const frames: Array<[string, Uint8Array]> = [
    [TS.jpegLossless, encodeJpegLossless(pixels, COLS, ROWS, 12)],
    [TS.jpeg2000Lossless, await encodeJpeg2000(pixels, COLS, ROWS, 12)],
    [TS.rle, encodeRle(pixels, 16)],
  ];
  for (const [transferSyntax, frame] of frames) {
    const dcm = file(base, { transferSyntax, encapsulated: { fragments: [frame] } });
    assert.deepEqual(await greyOf(dcm), expected, transferSyntax);
  }
  const bytes = Uint8Array.from(pixels, (v) => v >> 4);
  const rle8 = file(
    { rows: ROWS, columns: COLS, bitsAllocated: 8 },
    { transferSyntax: TS.rle, encapsulated: { fragments: [encodeRle(bytes, 8)] } },
  );
  assert.deepEqual(await greyOf(rle8), Array.from(bytes), '8-bit RLE');
});

test('multi-frame encapsulated data without offset table: the first frame, even split over fragments', async () => {
  const first = ramp();
  const a = await encodeJpeg2000(first, COLS, ROWS, 12);
  const b = await encodeJpeg2000(ramp(2000), COLS, ROWS, 12);
  // Fragments have even length, so writers split codestreams at even offsets.
  const cut = Math.floor(a.length / 4) * 2;
  const dcm = file(
    { rows: ROWS, columns: COLS, bitsStored: 12, frames: 2, extra: windowed },
    { transferSyntax: TS.jpeg2000Lossless, encapsulated: { fragments: [a.subarray(0, cut), a.subarray(cut), b] } },
  );
  assert.deepEqual(await greyOf(dcm), expectedWindowed(first));
});

test('JPEG baseline: windowed and MONOCHROME1 frames go through the grey pipeline', async () => {
  // Flat 8x8 blocks survive JPEG quantisation exactly.
  const raw = Buffer.from(Array.from({ length: ROWS * COLS }, (_, i) => (Math.floor((i % COLS) / 8) + 3 * Math.floor(i / COLS / 8)) * 40));
  const jpeg = await sharp(raw, { raw: { width: COLS, height: ROWS, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality: 100 })
    .toBuffer();
  const plain = await greyOf(jpeg);
  const wrap = (extra: Item, photometric = 'MONOCHROME2') =>
    file(
      { rows: ROWS, columns: COLS, bitsAllocated: 8, photometric, extra },
      { transferSyntax: TS.jpegBaseline, encapsulated: { fragments: [jpeg] } },
    );
  assert.deepEqual(await greyOf(wrap([])), plain, 'no VOI: the JPEG as it is');
  assert.deepEqual(
    await greyOf(wrap([], 'MONOCHROME1')),
    plain.map((v) => 255 - v),
  );
  const window: Item = [
    [0x00281050, 'DS', '100'],
    [0x00281051, 'DS', '101'],
  ];
  assert.deepEqual(
    await greyOf(wrap(window)),
    plain.map((v) => (v <= 49.5 ? 0 : v > 149.5 ? 255 : Math.round(((v - 99.5) / 100 + 0.5) * 255))),
  );
});
