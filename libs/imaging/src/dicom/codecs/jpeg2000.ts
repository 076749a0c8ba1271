import openJpeg from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import { ImageDecodeError } from '../../errors';
import type { PixelAttributes } from '../attributes';
import type { Samples } from '../grayscale';

// The WebAssembly module compiles once per process; its decoder otherwise prints progress to stdout.
let instance: ReturnType<typeof openJpeg> | undefined;
const load = () => (instance ??= openJpeg({ print: () => {}, printErr: () => {} }));

/** JPEG 2000 codestream (lossless or lossy), up to 16 bits, one component. At `level` > 0 it is
 * decoded at a resolution halved that many times (the wavelet's own sub-band), and `attrs` must
 * then give that reduced size (`reducedSize`). */
export async function decodeJpeg2000(frame: Uint8Array, attrs: PixelAttributes, level = 0): Promise<Samples> {
  const siz = readSiz(frame);
  // Checked before decoding: OpenJPEG allocates whatever the codestream's own header asks for.
  if (
    siz.components !== 1 ||
    reducedSize(siz.width, level) !== attrs.columns ||
    reducedSize(siz.height, level) !== attrs.rows ||
    siz.precision > attrs.bitsAllocated
  ) {
    throw new ImageDecodeError(
      'corrupt',
      `JPEG 2000 frame is ${siz.width}x${siz.height}x${siz.components} at ${siz.precision} bits but the DICOM header says ${attrs.columns}x${attrs.rows}x1 in ${attrs.bitsAllocated} bits`,
    );
  }
  const decoder = new (await load()).J2KDecoder();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    if (level > 0) {
      // The codestream's own decomposition count bounds how far it can be reduced; past that
      // OpenJPEG would fail with no reason given.
      const levels = readDecompositionLevels(frame);
      if (level > levels) {
        throw new ImageDecodeError(
          'too-many-pixels',
          `JPEG 2000 frame has ${levels} resolution levels; it would need ${level} to be read within the DICOM pixel limit`,
        );
      }
    }
    try {
      if (level > 0) decoder.decodeSubResolution(level, 0);
      else decoder.decode();
    } catch (err) {
      // Emscripten surfaces C++ exceptions as bare pointers: there is no message worth passing on.
      throw new ImageDecodeError('corrupt', 'corrupt JPEG 2000 frame in DICOM: the decoder gave up', { cause: err });
    }
    const decoded = decoder.getDecodedBuffer();
    const pixels = attrs.rows * attrs.columns;
    const bytesPerSample = siz.precision > 8 ? 2 : 1;
    if (decoded.length < pixels * bytesPerSample) {
      throw new ImageDecodeError('corrupt', `JPEG 2000 frame decoded to ${decoded.length} bytes, expected ${pixels * bytesPerSample}`);
    }
    // Copied out: the decoded buffer is a view into WebAssembly memory that `delete` frees.
    const copy = new Uint8Array(decoded.subarray(0, pixels * bytesPerSample));
    return bytesPerSample === 2 ? new Uint16Array(copy.buffer, 0, pixels) : copy;
  } finally {
    decoder.delete();
  }
}

/** The size of one side at a reduced resolution level, as ITU-T T.800 B.5 rounds it. */
export function reducedSize(side: number, level: number): number {
  return Math.ceil(side / 2 ** level);
}

/** The smallest reduction that brings `columns` x `rows` within `maxPixels`. */
export function reductionLevelFor(columns: number, rows: number, maxPixels: number): number {
  let level = 0;
  while (reducedSize(columns, level) * reducedSize(rows, level) > maxPixels) level++;
  return level;
}

/** The number of wavelet levels the COD segment of the main header sets (T.800 A.6.1): segments
 * follow SIZ, each a marker and a length, up to the first tile's SOT. */
function readDecompositionLevels(b: Uint8Array): number {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 2; at + 4 <= b.length; at += 2 + view.getUint16(at + 2)) {
    const marker = view.getUint16(at);
    if (marker === 0xff52 && at + 9 < b.length) return b[at + 9]!;
    if (marker === 0xff90 || (marker & 0xff00) !== 0xff00) break;
  }
  throw new ImageDecodeError('corrupt', 'corrupt JPEG 2000 frame in DICOM: no coding style segment in its main header');
}

/** The SIZ segment, which ITU-T T.800 puts straight after the start-of-codestream marker. */
function readSiz(b: Uint8Array) {
  if (b.length < 43 || b[0] !== 0xff || b[1] !== 0x4f || b[2] !== 0xff || b[3] !== 0x51) {
    throw new ImageDecodeError('corrupt', 'corrupt JPEG 2000 frame in DICOM: not a JPEG 2000 codestream');
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ssiz = b[42]!;
  return {
    width: view.getUint32(8) - view.getUint32(16),
    height: view.getUint32(12) - view.getUint32(20),
    components: view.getUint16(40),
    precision: (ssiz & 0x7f) + 1,
  };
}
