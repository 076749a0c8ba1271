import charls from '@cornerstonejs/codec-charls/decodewasmjs';
import { ImageDecodeError } from '../../errors';
import type { PixelAttributes } from '../attributes';
import type { Samples } from '../grayscale';

// The WebAssembly module compiles once per process; its decoder otherwise prints to stdout.
let instance: ReturnType<typeof charls> | undefined;
const load = () => (instance ??= charls({ print: () => {}, printErr: () => {} }));

const SOF55 = 0xf7;

/** JPEG-LS (ISO 14495-1), lossless or near-lossless, 2 to 16 bits, one component. */
export async function decodeJpegLs(frame: Uint8Array, attrs: PixelAttributes): Promise<Samples> {
  const sof = readSof55(frame);
  // Checked before decoding: CharLS allocates whatever the frame header asks for.
  if (sof.components !== 1 || sof.width !== attrs.columns || sof.height !== attrs.rows || sof.precision > attrs.bitsAllocated) {
    throw new ImageDecodeError(
      'corrupt',
      `JPEG-LS frame is ${sof.width}x${sof.height}x${sof.components} at ${sof.precision} bits but the DICOM header says ${attrs.columns}x${attrs.rows}x1 in ${attrs.bitsAllocated} bits`,
    );
  }
  const decoder = new (await load()).JpegLSDecoder();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    try {
      decoder.decode();
    } catch (err) {
      // Emscripten surfaces C++ exceptions as bare pointers: there is no message worth passing on.
      throw new ImageDecodeError('corrupt', 'corrupt JPEG-LS frame in DICOM: the decoder gave up', { cause: err });
    }
    const pixels = attrs.rows * attrs.columns;
    const bytesPerSample = sof.precision > 8 ? 2 : 1;
    const decoded = decoder.getDecodedBuffer();
    if (decoded.length < pixels * bytesPerSample) {
      throw new ImageDecodeError(
        'corrupt',
        `corrupt JPEG-LS frame in DICOM: truncated (${decoded.length} bytes decoded, ${pixels * bytesPerSample} expected)`,
      );
    }
    // Copied out: the decoded buffer is a view into WebAssembly memory that `delete` frees.
    const copy = new Uint8Array(decoded.subarray(0, pixels * bytesPerSample));
    return bytesPerSample === 2 ? new Uint16Array(copy.buffer, 0, pixels) : copy;
  } finally {
    decoder.delete();
  }
}

/** The SOF55 frame header, which follows the start of image and any table or application segments. */
function readSof55(b: Uint8Array) {
  if (b[0] !== 0xff || b[1] !== 0xd8) throw new ImageDecodeError('corrupt', 'corrupt JPEG-LS frame in DICOM: no start-of-image marker');
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    if (marker === SOF55 && i + 10 <= b.length) {
      return { precision: b[i + 4]!, height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]!, components: b[i + 9]! };
    }
    if (marker === 0xda || marker === 0xd9) break;
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  throw new ImageDecodeError('corrupt', 'corrupt JPEG-LS frame in DICOM: no frame header before the scan');
}
