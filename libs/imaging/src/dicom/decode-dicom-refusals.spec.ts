import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeToRgb, ImageDecodeError } from '../index';
import { PATIENT, TS, writeDicom, xray } from './test-support/dicom-writer';
import { encodeJpeg2000, encodeJpegLossless, encodeRle } from './test-support/encoders';
import { COLS, ROWS, file, greyOf, ramp, windowed } from './test-support/fixtures';

// What a DICOM decode refuses (not a chest radiograph, unreadable, over a limit), and that its
// message names the reason without leaking patient data.

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
  assert.equal(
    (
      await greyOf(
        file({
          ...chest,
          extra: [
            [0x00080060, 'CS', 'DX'],
            [0x00185101, 'CS', 'LLD'],
            [0x00180015, 'CS', 'thorax'],
          ],
        }),
      )
    ).length,
    ROWS * COLS,
  );
});

test('what cannot be read is reported as unsupported or corrupt', async () => {
  const htj2k = file(
    { rows: ROWS, columns: COLS },
    { transferSyntax: '1.2.840.10008.1.2.4.201', encapsulated: { fragments: [new Uint8Array([0xff, 0x4f, 0xff, 0x51])] } },
  );
  await rejects(htj2k, 'unsupported-format', /transfer syntax 1\.2\.840\.10008\.1\.2\.4\.201 \(High-Throughput JPEG 2000 Lossless\)/);
  const jpegLs = file(
    { rows: ROWS, columns: COLS },
    { transferSyntax: TS.jpegLs, encapsulated: { fragments: [new Uint8Array([0xff, 0xd8, 0xff, 0xf7])] } },
  );
  await rejects(jpegLs, 'corrupt', /corrupt JPEG-LS frame in DICOM: no frame header/);
  await rejects(
    file({
      ...chest,
      extra: [
        [0x00280002, 'US', 3],
        [0x00280004, 'CS', 'RGB'],
      ],
    }),
    'unsupported-format',
    /colour/,
  );
  await rejects(
    file({ ...chest, pixels: ramp().subarray(0, 100) }),
    'corrupt',
    /pixel data truncated: it holds 200 bytes, 1 frame of 24x16 at 16 bits needs 768/,
  );
  await rejects(file({ ...chest, omit: [0x7fe00010] }), 'unsupported-format', /holds no image/);
  const tooSmall = { rows: ROWS, columns: COLS, extra: windowed };
  const wrongSize = await encodeJpeg2000(ramp().subarray(0, 8 * COLS), COLS, 8, 12);
  await rejects(
    file(tooSmall, { transferSyntax: TS.jpeg2000Lossless, encapsulated: { fragments: [wrongSize] } }),
    'corrupt',
    /JPEG 2000 frame is 24x8x1/,
  );
  const lossless = encodeJpegLossless(ramp(), COLS, ROWS, 12);
  await rejects(
    file(tooSmall, { transferSyntax: TS.jpegLossless, encapsulated: { fragments: [lossless.subarray(0, 60)] } }),
    'corrupt',
    /JPEG lossless/,
  );
  await rejects(
    file(tooSmall, { transferSyntax: TS.rle, encapsulated: { fragments: [encodeRle(ramp(), 16).subarray(0, 80)] } }),
    'corrupt',
    /RLE/,
  );
  await rejects(writeDicom(xray(chest)).subarray(0, 400), 'corrupt', /corrupt DICOM data/);
});

test("pixel data longer than the header's frames need is refused, not read sheared", async () => {
  // Columns 10 less than the data holds: read as the header says, every row would start further
  // into the image than the last, and the result would still look like a radiograph.
  await rejects(
    file({ ...chest, columns: COLS - 10 }),
    'corrupt',
    /pixel data holds 768 bytes, more than the 448 that 1 frame of 14x16 at 16 bits needs; the header does not describe these pixels/,
  );
  await rejects(
    file({ ...chest, frames: 2, pixels: ramp() }),
    'corrupt',
    /truncated: it holds 768 bytes, 2 frames of 24x16 at 16 bits need 1536/,
  );
  // One byte pads an odd length to even: that is DICOM, not surplus.
  const odd = Uint8Array.from({ length: 5 * 5 }, (_, i) => i * 10);
  const padded = file({ rows: 5, columns: 5, bitsAllocated: 8, pixels: odd });
  assert.deepEqual(await greyOf(padded, 5, 5), Array.from(odd));
  const rle = encodeRle(ramp(), 16);
  const longer = new Uint8Array(rle.length + 4);
  longer.set(rle);
  await rejects(
    file({ rows: ROWS, columns: COLS }, { transferSyntax: TS.rle, encapsulated: { fragments: [longer] } }),
    'corrupt',
    /RLE frame in DICOM: a segment holds \d+ bytes more than the frame the header describes/,
  );
});

test("a file cut anywhere is refused in the product's words, never the parser's", async () => {
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
  await assert.rejects(
    decodeToRgb(file(big), [8, 8], { maxDicomPixels: 383 }),
    /DICOM image has 384 pixels, more than the limit of 383 for DICOM images/,
  );
  const png = await sharp(Buffer.alloc(384), { raw: { width: 24, height: 16, channels: 1 } })
    .png()
    .toBuffer();
  assert.equal((await decodeToRgb(png, [8, 8], { maxDicomPixels: 383 })).length, 8 * 8 * 3);
  assert.equal((await decodeToRgb(file(big), [8, 8], { maxDicomPixels: 384 })).length, 8 * 8 * 3);
  assert.equal((await decodeToRgb(file(chest), [8, 8], { maxPixels: 384 })).length, 8 * 8 * 3);
});

test('a JPEG 2000 frame over the DICOM pixel cap is read at its first reduced resolution that fits, or refused when it has none', async () => {
  const [columns, rows] = [96, 64];
  // Smooth, as a radiograph is: a reduced level then shows what a full decode and resize shows.
  const pixels = Uint16Array.from({ length: rows * columns }, (_, i) =>
    Math.round(((i % columns) / columns) * 2000 + (Math.floor(i / columns) / rows) * 2000),
  );
  const dcm = file(
    { rows, columns, bitsStored: 12, pixels, extra: windowed },
    { transferSyntax: TS.jpeg2000Lossless, encapsulated: { fragments: [await encodeJpeg2000(pixels, columns, rows, 12)] } },
  );
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
