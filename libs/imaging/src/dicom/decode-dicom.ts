import { ImageDecodeError } from '../errors';
import type { Pixels } from '../resample';
import type { DataSet } from 'dicom-parser';
import { readPixelAttributes, type PixelAttributes } from './attributes';
import { reducedSize, reductionLevelFor } from './codecs/jpeg2000';
import { assertJudgeable } from './eligibility';
import { toDisplayGrey } from './grayscale';
import { parseDicomBytes } from './parse';
import { describeParseFailure } from './parser-errors';
import { decodeFirstFrame } from './pixel-data';
import { codecFor, EXPLICIT_VR_BIG_ENDIAN } from './transfer-syntax';

/**
 * Turns a DICOM file into the 8-bit grey pixels a viewer would display, at the image's own size,
 * for the resampler every other container goes through too. Refuses, before decoding any pixel,
 * what the model must not judge or what cannot be read.
 */
export async function dicomToPixels(bytes: Uint8Array, maxPixels: number): Promise<Pixels> {
  try {
    return await decode(bytes, maxPixels);
  } catch (err) {
    // Whatever else a hostile or broken file trips over is still a property of these bytes: the
    // caller must see a per-image failure, not an error worth retrying.
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError('corrupt', `corrupt DICOM data: ${describeParseFailure(err, 'its pixel data cannot be read')}`, {
      cause: err,
    });
  }
}

async function decode(bytes: Uint8Array, maxPixels: number): Promise<Pixels> {
  // A deflated file may hold one 16-bit frame of the largest allowed size, and a header beside it.
  const { dataSet, transferSyntaxUid } = parseDicomBytes(bytes, { maxInflatedBytes: 2 * maxPixels + (16 << 20) });
  assertJudgeable(dataSet);
  const codec = codecFor(transferSyntaxUid);
  const attrs = readPixelAttributes(dataSet);
  const pixels = attrs.rows * attrs.columns;
  if (pixels > maxPixels) {
    // A JPEG 2000 frame holds its own smaller resolutions: a huge one (a few KB can declare
    // 10000x10000) is read at the first that fits, which costs a fraction of a full decode and
    // is still far more than the model's input needs.
    if (codec === 'jpeg2000') return reducedJpeg2000(dataSet, attrs, maxPixels);
    throw new ImageDecodeError('too-many-pixels', `DICOM image has ${pixels} pixels, more than the limit of ${maxPixels} for DICOM images`);
  }
  const grey = toDisplayGrey(await decodeFirstFrame(dataSet, codec, attrs, transferSyntaxUid === EXPLICIT_VR_BIG_ENDIAN), attrs);
  return { data: grey, width: attrs.columns, height: attrs.rows, channels: 1 };
}

async function reducedJpeg2000(dataSet: DataSet, full: PixelAttributes, maxPixels: number): Promise<Pixels> {
  const level = reductionLevelFor(full.columns, full.rows, maxPixels);
  const attrs = { ...full, columns: reducedSize(full.columns, level), rows: reducedSize(full.rows, level) };
  const grey = toDisplayGrey(await decodeFirstFrame(dataSet, 'jpeg2000', attrs, false, level), attrs);
  return { data: grey, width: attrs.columns, height: attrs.rows, channels: 1 };
}
