import { ImageDecodeError } from '../../errors';
import type { PixelAttributes } from '../attributes';
import type { Samples } from '../grayscale';

const HEADER_BYTES = 64;

/**
 * DICOM RLE Lossless (PS3.5 G): a 64-byte header of segment offsets, then one PackBits segment
 * per byte of a sample, most significant byte first.
 */
export function decodeRle(frame: Uint8Array, attrs: PixelAttributes): Samples {
  const bytesPerSample = attrs.bitsAllocated / 8;
  if (frame.length < HEADER_BYTES) throw corrupt('frame is shorter than its header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== bytesPerSample) throw corrupt(`${segments} segments for ${attrs.bitsAllocated}-bit samples`);
  const pixels = attrs.rows * attrs.columns;
  const planes: Uint8Array[] = [];
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < HEADER_BYTES || end > frame.length || end < start) throw corrupt(`segment ${s + 1} lies outside the frame`);
    planes.push(unpackBits(frame.subarray(start, end), pixels));
  }
  if (bytesPerSample === 1) return planes[0]!;
  const out = new Uint16Array(pixels);
  const [high, low] = planes as [Uint8Array, Uint8Array];
  for (let i = 0; i < pixels; i++) out[i] = (high[i]! << 8) | low[i]!;
  return out;
}

/** PackBits: n >= 0 copies n+1 literal bytes; -127..-1 repeats the next byte 1-n times; -128 is padding. */
function unpackBits(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  let i = 0;
  while (o < size && i < src.length) {
    const n = (src[i++]! << 24) >> 24;
    if (n >= 0) {
      const count = n + 1;
      if (i + count > src.length || o + count > size) throw corrupt('a literal run overflows the segment or the frame');
      out.set(src.subarray(i, i + count), o);
      i += count;
      o += count;
    } else if (n !== -128) {
      const count = 1 - n;
      if (i >= src.length || o + count > size) throw corrupt('a repeat run overflows the segment or the frame');
      out.fill(src[i++]!, o, o + count);
      o += count;
    }
  }
  if (o < size) throw corrupt(`truncated: a segment holds ${o} of the ${size} bytes of a frame`);
  // PS3.5 G.3.1 pads a segment to even length; more left over means Rows or Columns do not
  // describe the data, and the image read as the header says would be sheared.
  if (src.length - i > 1) throw corrupt(`a segment holds ${src.length - i} bytes more than the frame the header describes`);
  return out;
}

function corrupt(why: string): ImageDecodeError {
  return new ImageDecodeError('corrupt', `corrupt RLE frame in DICOM: ${why}`);
}
