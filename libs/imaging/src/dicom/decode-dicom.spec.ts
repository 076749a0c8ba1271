import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeToRgb, ImageDecodeError } from '../index';
import { PATIENT, TS, writeDicom, xray, type Item, type WriteOptions } from './test-support/dicom-writer';
import { encodeJpeg2000, encodeJpegLossless, encodeRle } from './test-support/encoders';

const ROWS = 16;
const COLS = 24;

/** A 12-bit ramp with a bright block, so position and value errors both show. */
function ramp(offset = 0): Uint16Array {
  return Uint16Array.from({ length: ROWS * COLS }, (_, i) => ((i % COLS) * 150 + Math.floor(i / COLS) * 20 + offset + (i % 7 === 0 ? 1000 : 0)) & 0xfff);
}

/** The decoded grey, one value per pixel, at the image's own size (no resampling). */
async function greyOf(file: Buffer, rows = ROWS, cols = COLS): Promise<number[]> {
  const rgb = await decodeToRgb(file, [rows, cols]);
  const out: number[] = [];
  for (let i = 0; i < rgb.length; i += 3) {
    assert.ok(rgb[i] === rgb[i + 1] && rgb[i] === rgb[i + 2], 'grey must become three equal channels');
    out.push(rgb[i]!);
  }
  return out;
}

const windowed: Item = [
  [0x00281050, 'DS', '2048'],
  [0x00281051, 'DS', '4096'],
];

/** What the DICOM grayscale pipeline must give for `ramp()` under `windowed`, computed here in the
 * plainest way (PS3.3 C.11.2.1.2.1) rather than by the code under test. */
function expectedWindowed(values: Uint16Array, invert = false): number[] {
  return Array.from(values, (x) => {
    const y = x <= 2047.5 - 2047.5 ? 0 : x > 2047.5 + 2047.5 ? 1 : (x - 2047.5) / 4095 + 0.5;
    return Math.round((invert ? 1 - y : y) * 255);
  });
}

function file(spec: Parameters<typeof xray>[0], opts?: WriteOptions): Buffer {
  return writeDicom(xray(spec), opts);
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
  assert.deepEqual(await greyOf(dcm), Array.from(pixels, (v) => 255 - 85 * v));
});

test('without any VOI, deep data are stretched from minimum to maximum', async () => {
  const pixels = Uint16Array.from({ length: ROWS * COLS }, (_, i) => 1000 + (i % 3) * 500);
  assert.deepEqual(await greyOf(file({ rows: ROWS, columns: COLS, bitsStored: 12, pixels })), Array.from(pixels, (v) => [0, 128, 255][(v - 1000) / 500]));
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
  for (const opts of [{ preamble: false }, { meta: false, transferSyntax: TS.implicit }, { meta: false, transferSyntax: TS.explicit }, { transferSyntax: TS.implicit }]) {
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
  const rle8 = file({ rows: ROWS, columns: COLS, bitsAllocated: 8 }, { transferSyntax: TS.rle, encapsulated: { fragments: [encodeRle(bytes, 8)] } });
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
  const jpeg = await sharp(raw, { raw: { width: COLS, height: ROWS, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 100 }).toBuffer();
  const plain = await greyOf(jpeg);
  const wrap = (extra: Item, photometric = 'MONOCHROME2') =>
    file({ rows: ROWS, columns: COLS, bitsAllocated: 8, photometric, extra }, { transferSyntax: TS.jpegBaseline, encapsulated: { fragments: [jpeg] } });
  assert.deepEqual(await greyOf(wrap([])), plain, 'no VOI: the JPEG as it is');
  assert.deepEqual(await greyOf(wrap([], 'MONOCHROME1')), plain.map((v) => 255 - v));
  const window: Item = [
    [0x00281050, 'DS', '100'],
    [0x00281051, 'DS', '101'],
  ];
  assert.deepEqual(await greyOf(wrap(window)), plain.map((v) => (v <= 49.5 ? 0 : v > 149.5 ? 255 : Math.round(((v - 99.5) / 100 + 0.5) * 255))));
});

async function rejects(dcm: Buffer, reason: string, message: RegExp, maxPixels?: number) {
  await assert.rejects(decodeToRgb(dcm, [8, 8], maxPixels ? { maxPixels } : {}), (err: unknown) => {
    assert.ok(err instanceof ImageDecodeError, `expected ImageDecodeError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.match(err.message, message);
    for (const secret of Object.values(PATIENT)) assert.ok(!err.message.includes(secret), `message leaks patient data: ${err.message}`);
    return true;
  });
}

const chest = { rows: ROWS, columns: COLS, pixels: ramp() };

test('what the model must not judge is refused with the reason, before decoding', async () => {
  await rejects(file({ ...chest, extra: [[0x00080060, 'CS', 'CT']] }), 'refused', /modality "CT" is not a radiograph/);
  await rejects(file({ ...chest, extra: [[0x00180015, 'CS', 'ABDOMEN']] }), 'refused', /body part examined "ABDOMEN" is not the chest/);
  await rejects(file({ ...chest, extra: [[0x00185101, 'CS', 'LL']] }), 'refused', /view position "LL" is a lateral view/);
  await rejects(file({ ...chest, extra: [[0x00185101, 'CS', 'LATERAL']] }), 'refused', /lateral view/);
  // A field misused for free text is not echoed.
  await rejects(file({ ...chest, extra: [[0x00180015, 'CS', PATIENT.name]] }), 'refused', /body part examined with an unrecognised value/);
});

test('absent Modality, Body Part and View Position do not refuse; decubitus and DX pass', async () => {
  assert.equal((await greyOf(file({ ...chest, omit: [0x00080060, 0x00180015, 0x00185101] }))).length, ROWS * COLS);
  assert.equal((await greyOf(file({ ...chest, extra: [[0x00080060, 'CS', 'DX'], [0x00185101, 'CS', 'LLD'], [0x00180015, 'CS', 'thorax']] }))).length, ROWS * COLS);
});

test('what cannot be read is reported as unsupported or corrupt', async () => {
  const htj2k = file({ rows: ROWS, columns: COLS }, { transferSyntax: '1.2.840.10008.1.2.4.201', encapsulated: { fragments: [new Uint8Array([0xff, 0x4f, 0xff, 0x51])] } });
  await rejects(htj2k, 'unsupported-format', /transfer syntax 1\.2\.840\.10008\.1\.2\.4\.201 \(High-Throughput JPEG 2000 Lossless\)/);
  const jpegLs = file({ rows: ROWS, columns: COLS }, { transferSyntax: TS.jpegLs, encapsulated: { fragments: [new Uint8Array([0xff, 0xd8, 0xff, 0xf7])] } });
  await rejects(jpegLs, 'corrupt', /corrupt JPEG-LS frame in DICOM: no frame header/);
  await rejects(file({ ...chest, extra: [[0x00280002, 'US', 3], [0x00280004, 'CS', 'RGB']] }), 'unsupported-format', /colour/);
  await rejects(file({ ...chest, pixels: ramp().subarray(0, 100) }), 'corrupt', /pixel data truncated: it holds 200 bytes, 1 frame of 24x16 at 16 bits needs 768/);
  await rejects(file({ ...chest, omit: [0x7fe00010] }), 'unsupported-format', /holds no image/);
  const tooSmall = { rows: ROWS, columns: COLS, extra: windowed };
  const wrongSize = await encodeJpeg2000(ramp().subarray(0, 8 * COLS), COLS, 8, 12);
  await rejects(file(tooSmall, { transferSyntax: TS.jpeg2000Lossless, encapsulated: { fragments: [wrongSize] } }), 'corrupt', /JPEG 2000 frame is 24x8x1/);
  const lossless = encodeJpegLossless(ramp(), COLS, ROWS, 12);
  await rejects(file(tooSmall, { transferSyntax: TS.jpegLossless, encapsulated: { fragments: [lossless.subarray(0, 60)] } }), 'corrupt', /JPEG lossless/);
  await rejects(file(tooSmall, { transferSyntax: TS.rle, encapsulated: { fragments: [encodeRle(ramp(), 16).subarray(0, 80)] } }), 'corrupt', /RLE/);
  await rejects(writeDicom(xray(chest)).subarray(0, 400), 'corrupt', /corrupt DICOM data/);
});

test('pixel data longer than the header\'s frames need is refused, not read sheared', async () => {
  // Columns 10 less than the data holds: read as the header says, every row would start further
  // into the image than the last, and the result would still look like a radiograph.
  await rejects(file({ ...chest, columns: COLS - 10 }), 'corrupt', /pixel data holds 768 bytes, more than the 448 that 1 frame of 14x16 at 16 bits needs; the header does not describe these pixels/);
  await rejects(file({ ...chest, frames: 2, pixels: ramp() }), 'corrupt', /truncated: it holds 768 bytes, 2 frames of 24x16 at 16 bits need 1536/);
  // One byte pads an odd length to even: that is DICOM, not surplus.
  const odd = Uint8Array.from({ length: 5 * 5 }, (_, i) => i * 10);
  const padded = file({ rows: 5, columns: 5, bitsAllocated: 8, pixels: odd });
  assert.deepEqual(await greyOf(padded, 5, 5), Array.from(odd));
  const rle = encodeRle(ramp(), 16);
  const longer = new Uint8Array(rle.length + 4);
  longer.set(rle);
  await rejects(file({ rows: ROWS, columns: COLS }, { transferSyntax: TS.rle, encapsulated: { fragments: [longer] } }), 'corrupt', /RLE frame in DICOM: a segment holds \d+ bytes more than the frame the header describes/);
});

test('a file cut anywhere is refused in the product\'s words, never the parser\'s', async () => {
  for (const transferSyntax of [TS.explicit, TS.implicit]) {
    const whole = file(chest, { transferSyntax });
    for (let cut = 140; cut < whole.length; cut += 5) {
      await assert.rejects(decodeToRgb(whole.subarray(0, cut), [8, 8]), (err: unknown) => {
        assert.ok(err instanceof ImageDecodeError, String(err));
        assert.doesNotMatch(err.message, /dicomParser|ByteArrayParser|ByteStream|byteArray|buffer overrun/i, `cut at ${cut}`);
        return true;
      });
    }
  }
  await rejects(file(chest, { transferSyntax: TS.explicit }).subarray(0, 1000), 'corrupt', /truncated/);
});

test('the pixel limit applies before the pixel data is decoded', async () => {
  await rejects(file(chest), 'too-many-pixels', /384 pixels, more than the limit of 383/, 383);
});

test('DICOM images have their own pixel cap, below the one JPEG and PNG get', async () => {
  const big = { rows: 16, columns: 24, pixels: ramp() };
  await assert.rejects(decodeToRgb(file(big), [8, 8], { maxDicomPixels: 383 }), /DICOM image has 384 pixels, more than the limit of 383 for DICOM images/);
  const png = await sharp(Buffer.alloc(384), { raw: { width: 24, height: 16, channels: 1 } }).png().toBuffer();
  assert.equal((await decodeToRgb(png, [8, 8], { maxDicomPixels: 383 })).length, 8 * 8 * 3);
  assert.equal((await decodeToRgb(file(big), [8, 8], { maxDicomPixels: 384 })).length, 8 * 8 * 3);
  assert.equal((await decodeToRgb(file(chest), [8, 8], { maxPixels: 384 })).length, 8 * 8 * 3);
});

test('a JPEG 2000 frame over the DICOM pixel cap is read at its first reduced resolution that fits, or refused when it has none', async () => {
  const [columns, rows] = [96, 64];
  // Smooth, as a radiograph is: a reduced level then shows what a full decode and resize shows.
  const pixels = Uint16Array.from({ length: rows * columns }, (_, i) => Math.round(((i % columns) / columns) * 2000 + (Math.floor(i / columns) / rows) * 2000));
  const dcm = file({ rows, columns, bitsStored: 12, pixels, extra: windowed }, { transferSyntax: TS.jpeg2000Lossless, encapsulated: { fragments: [await encodeJpeg2000(pixels, columns, rows, 12)] } });
  const full = await decodeToRgb(dcm, [8, 8], { maxDicomPixels: rows * columns });
  // One level (48x32) fits a quarter of the pixels; the encoder made two levels.
  const reduced = await decodeToRgb(dcm, [8, 8], { maxDicomPixels: (rows * columns) / 4 });
  const worst = Math.max(...Array.from(full, (v, i) => Math.abs(v - reduced[i]!)));
  assert.ok(worst <= 3, `reduced-resolution input differs from the full decode's by up to ${worst} grey levels`);
  await assert.rejects(decodeToRgb(dcm, [8, 8], { maxDicomPixels: (rows * columns) / 64 - 1 }), (err: unknown) => {
    assert.ok(err instanceof ImageDecodeError && err.reason === 'too-many-pixels', String(err));
    assert.match(err.message, /JPEG 2000 frame has 2 resolution levels; it would need 4 to be read within the DICOM pixel limit/);
    return true;
  });
});
