import sharp from 'sharp';
import { Decoder } from 'jpeg-lossless-decoder-js';
import { ImageDecodeError } from '../../errors';
import type { PixelAttributes } from '../attributes';
import type { Samples } from '../grayscale';

const SOF_LOSSLESS_HUFFMAN = 0xc3;

interface JpegFrameHeader {
  marker: number;
  precision: number;
  height: number;
  width: number;
  components: number;
}

/**
 * Checks the JPEG's own frame header against the DICOM header before anything is decoded, so a
 * frame that disagrees with Rows/Columns (or claims far more pixels) never reaches a decoder.
 */
function checkJpegFrame(frame: Uint8Array, attrs: PixelAttributes, lossless: boolean): JpegFrameHeader {
  const sof = readFrameHeader(frame);
  if (lossless !== (sof.marker === SOF_LOSSLESS_HUFFMAN)) {
    throw new ImageDecodeError(
      'unsupported-format',
      `JPEG frame uses SOF marker 0x${sof.marker.toString(16)}, which its DICOM transfer syntax does not allow`,
    );
  }
  if (!lossless && sof.precision !== 8) {
    // No maintained decoder of 12-bit lossy JPEG (process 4) exists for Node: libjpeg-turbo's
    // WebAssembly builds and sharp are 8-bit only.
    throw new ImageDecodeError(
      'unsupported-format',
      `${sof.precision}-bit lossy JPEG (process 4) is not supported (8-bit only); JPEG lossless, JPEG-LS or JPEG 2000 carry 12 bits`,
    );
  }
  if (sof.components !== 1 || sof.width !== attrs.columns || sof.height !== attrs.rows || sof.precision > attrs.bitsAllocated) {
    throw new ImageDecodeError(
      'corrupt',
      `JPEG frame is ${sof.width}x${sof.height}x${sof.components} at ${sof.precision} bits but the DICOM header says ${attrs.columns}x${attrs.rows}x1 in ${attrs.bitsAllocated} bits`,
    );
  }
  return sof;
}

/** 8-bit lossy JPEG (baseline or extended), decoded by the same libjpeg-turbo as plain JPEG uploads. */
export async function decodeJpegBaseline(frame: Uint8Array, attrs: PixelAttributes): Promise<Samples> {
  checkJpegFrame(frame, attrs, false);
  try {
    // failOn 'warning' for the same reason as plain JPEGs: damaged entropy data decodes to a smear.
    const data = await sharp(frame, { failOn: 'warning', limitInputPixels: attrs.rows * attrs.columns })
      .toColourspace('b-w')
      .raw()
      .toBuffer();
    return expectLength(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), attrs);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw corrupt('JPEG', err);
  }
}

/** JPEG lossless (process 14, any predictor), up to 16 bits. */
export function decodeJpegLossless(frame: Uint8Array, attrs: PixelAttributes): Samples {
  checkJpegFrame(frame, attrs, true);
  // This decoder reads past the end of a truncated stream as zeros instead of failing, so a cut-off
  // frame is caught by its missing end-of-image marker (after any even-length padding).
  let end = frame.length;
  while (end > 0 && frame[end - 1] === 0) end--;
  if (end < 2 || frame[end - 2] !== 0xff || frame[end - 1] !== 0xd9) {
    throw new ImageDecodeError('corrupt', 'corrupt JPEG lossless frame in DICOM: truncated (no end-of-image marker)');
  }
  // When the last sample's code ends in the byte before the end-of-image marker, this decoder
  // reads ahead into the marker and leaves that sample 0 (the last pixel of a DCMTK-made frame).
  // Zero bytes after the last code are never decoded as samples, and give it the bits it looks for.
  const padded = new Uint8Array(end + 2);
  padded.set(frame.subarray(0, end - 2));
  padded.set([0xff, 0xd9], end);
  let out: Samples;
  try {
    out = new Decoder().decode(padded.buffer, 0, padded.byteLength, attrs.bitsAllocated / 8);
  } catch (err) {
    throw corrupt('JPEG lossless', err);
  }
  return expectLength(out, attrs);
}

function readFrameHeader(b: Uint8Array): JpegFrameHeader {
  if (b[0] !== 0xff || b[1] !== 0xd8) throw new ImageDecodeError('corrupt', 'corrupt JPEG frame: no start-of-image marker');
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) break;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (b[i + 2]! << 8) | b[i + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && i + 10 <= b.length) {
      return {
        marker,
        precision: b[i + 4]!,
        height: (b[i + 5]! << 8) | b[i + 6]!,
        width: (b[i + 7]! << 8) | b[i + 8]!,
        components: b[i + 9]!,
      };
    }
    if (marker === 0xda || marker === 0xd9) break;
    i += 2 + length;
  }
  throw new ImageDecodeError('corrupt', 'corrupt JPEG frame: no frame header before the scan');
}

function expectLength(samples: Samples, attrs: PixelAttributes): Samples {
  if (samples.length < attrs.rows * attrs.columns) {
    throw new ImageDecodeError('corrupt', `JPEG frame decoded to ${samples.length} samples, expected ${attrs.rows * attrs.columns}`);
  }
  return samples.subarray(0, attrs.rows * attrs.columns);
}

/** The decoders' own messages name their internals (`index=-3 in getn()`, `VipsJpeg: ...`); the
 * original stays on the error's `cause`. */
function corrupt(what: string, err: unknown): ImageDecodeError {
  const truncated = /premature end|truncat|end of (file|data|input)/i.test(err instanceof Error ? err.message : String(err));
  return new ImageDecodeError('corrupt', `corrupt ${what} frame in DICOM: ${truncated ? 'truncated' : 'the decoder gave up'}`, {
    cause: err,
  });
}
