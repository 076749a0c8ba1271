import { readEncapsulatedImageFrame, readEncapsulatedPixelDataFromFragments, type DataSet, type Element } from 'dicom-parser';
import { ImageDecodeError } from '../errors';
import type { PixelAttributes } from './attributes';
import { describeParseFailure } from './parser-errors';
import { decodeJpegBaseline, decodeJpegLossless } from './codecs/jpeg';
import { decodeJpeg2000 } from './codecs/jpeg2000';
import { decodeJpegLs } from './codecs/jpeg-ls';
import { decodeRle } from './codecs/rle';
import type { Samples } from './grayscale';
import type { Codec } from './transfer-syntax';

/** Decodes the first frame: a multi-frame radiograph is a series of the same view, and one frame
 * is what the model judges. */
export async function decodeFirstFrame(
  ds: DataSet,
  codec: Codec,
  attrs: PixelAttributes,
  bigEndian: boolean,
  jpeg2000Level = 0,
): Promise<Samples> {
  if (codec === 'native') return nativeFirstFrame(ds, attrs, bigEndian);
  const frame = encapsulatedFirstFrame(ds, codec, attrs);
  switch (codec) {
    case 'jpeg-baseline':
      return decodeJpegBaseline(frame, attrs);
    case 'jpeg-lossless':
      return decodeJpegLossless(frame, attrs);
    case 'jpeg2000':
      return decodeJpeg2000(frame, attrs, jpeg2000Level);
    case 'jpeg-ls':
      return decodeJpegLs(frame, attrs);
    case 'rle':
      return decodeRle(frame, attrs);
  }
}

function nativeFirstFrame(ds: DataSet, attrs: PixelAttributes, bigEndian: boolean): Samples {
  const el = pixelData(ds);
  if (el.encapsulatedPixelData)
    throw new ImageDecodeError('corrupt', 'corrupt DICOM data: uncompressed transfer syntax but encapsulated pixel data');
  const pixels = attrs.rows * attrs.columns;
  const bytes = pixels * (attrs.bitsAllocated / 8);
  const needed = bytes * attrs.numberOfFrames;
  const frames = `${attrs.numberOfFrames === 1 ? '1 frame' : `${attrs.numberOfFrames} frames`} of ${attrs.columns}x${attrs.rows} at ${attrs.bitsAllocated} bits`;
  const need = attrs.numberOfFrames === 1 ? 'needs' : 'need';
  const present = Math.min(el.length, ds.byteArray.length - el.dataOffset);
  if (present < needed) {
    throw new ImageDecodeError(
      'corrupt',
      `corrupt DICOM data: pixel data truncated: it holds ${present} bytes, ${frames} ${need} ${needed}`,
    );
  }
  // Data beyond what the header's frames need (past the one byte that pads an odd length) means
  // Rows, Columns or Bits Allocated do not describe it: read as the header says, the image would
  // be sheared or shifted, and still look like an X-ray.
  if (el.length > needed + (needed % 2)) {
    throw new ImageDecodeError(
      'corrupt',
      `corrupt DICOM data: pixel data holds ${el.length} bytes, more than the ${needed} that ${frames} ${need}; the header does not describe these pixels`,
    );
  }
  // A copy, so 16-bit samples are aligned for Uint16Array (little endian, as on every host Node runs on).
  const copy = Buffer.alloc(bytes + (bytes % 2));
  copy.set(ds.byteArray.subarray(el.dataOffset, el.dataOffset + bytes));
  // Big endian OW data are 16-bit words however many bits a sample has: 8-bit samples too come
  // in swapped pairs. OB (8-bit) data are bytes as they are.
  if (bigEndian && el.vr !== 'OB') copy.swap16();
  return attrs.bitsAllocated === 16
    ? new Uint16Array(copy.buffer, copy.byteOffset, pixels)
    : new Uint8Array(copy.buffer, copy.byteOffset, pixels);
}

/** The first frame's compressed bytes, however the writer split frames into fragments. */
function encapsulatedFirstFrame(ds: DataSet, codec: Codec, attrs: PixelAttributes): Uint8Array {
  const el = pixelData(ds);
  const fragments = el.fragments ?? [];
  if (!el.encapsulatedPixelData || fragments.length === 0) {
    throw new ImageDecodeError('corrupt', 'corrupt DICOM data: compressed transfer syntax but no pixel data fragments');
  }
  try {
    if (el.basicOffsetTable?.length) return readEncapsulatedImageFrame(ds, el, 0);
    if (attrs.numberOfFrames === 1) return readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
    // PS3.5 A.4.2: an RLE frame is always exactly one fragment.
    if (codec === 'rle') return readEncapsulatedPixelDataFromFragments(ds, el, 0, 1);
    // No offset table: the next frame begins at the next fragment that opens a codestream the way
    // the first one does (JPEG's SOI, JPEG 2000's SOC).
    const opening = ds.byteArray.subarray(fragments[0]!.position, fragments[0]!.position + 2);
    let end = 1;
    while (end < fragments.length && !startsWith(ds.byteArray, fragments[end]!.position, opening)) end++;
    return readEncapsulatedPixelDataFromFragments(ds, el, 0, end);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError('corrupt', `corrupt DICOM data: ${describeParseFailure(err)}`, { cause: err });
  }
}

function pixelData(ds: DataSet): Element {
  // readPixelAttributes has refused files without Pixel Data before any frame is read.
  return ds.elements.x7fe00010!;
}

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}
