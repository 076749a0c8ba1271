import sharp from 'sharp';
import { ImageDecodeError } from '../errors';
import { readPixelAttributes, type PixelAttributes } from './attributes';
import { checkJpegFrame } from './codecs/jpeg';
import { assertJudgeable } from './eligibility';
import { isDisplayReadyByte, toDisplayGrey } from './grayscale';
import { parseDicomBytes } from './parse';
import { decodeFirstFrame, encapsulatedFirstFrame } from './pixel-data';
import { codecFor, type Codec } from './transfer-syntax';

/**
 * Turns a DICOM file into an encoded image (JPEG or 8-bit grey PNG) that the JPEG/PNG path then
 * resizes and normalises, so DICOM input gets exactly the same treatment as any other upload.
 * Refuses, before decoding any pixel, what the model must not judge or what cannot be read.
 */
export async function dicomToImage(bytes: Uint8Array, maxPixels: number): Promise<Buffer> {
  try {
    return await decode(bytes, maxPixels);
  } catch (err) {
    // Whatever else a hostile or broken file trips over is still a property of these bytes: the
    // caller must see a per-image failure, not an error worth retrying.
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError('corrupt', `corrupt DICOM data: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function decode(bytes: Uint8Array, maxPixels: number): Promise<Buffer> {
  const { dataSet, transferSyntaxUid } = parseDicomBytes(bytes);
  assertJudgeable(dataSet);
  const codec = codecFor(transferSyntaxUid);
  const attrs = readPixelAttributes(dataSet);
  const pixels = attrs.rows * attrs.columns;
  if (pixels > maxPixels) {
    throw new ImageDecodeError('too-many-pixels', `image has ${pixels} pixels, more than the limit of ${maxPixels}`);
  }
  if (isWrappedJpeg(codec, attrs)) {
    // The grey pipeline would be the identity: hand over the JPEG itself, so a wrapped JPEG and
    // the same JPEG uploaded bare give the model identical input (libvips decodes JPEGs at reduced
    // scale when shrinking, which a raw buffer cannot reproduce).
    const frame = encapsulatedFirstFrame(dataSet, codec, attrs);
    checkJpegFrame(frame, attrs, false);
    return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  }
  const grey = toDisplayGrey(await decodeFirstFrame(dataSet, codec, attrs), attrs);
  // Level 0: the PNG only carries pixels to the next step in this process; deflating them is waste.
  return sharp(grey, { raw: { width: attrs.columns, height: attrs.rows, channels: 1 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

function isWrappedJpeg(codec: Codec, attrs: PixelAttributes): boolean {
  return codec === 'jpeg-baseline' && attrs.photometric === 'MONOCHROME2' && !attrs.voiLut && !attrs.window && isDisplayReadyByte(attrs);
}
