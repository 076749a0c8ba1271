import sharp from 'sharp';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { ImageDecodeError } from './errors';
import { DicomDecodePool } from './dicom/decode-pool';
import { resampleToRgb, type Pixels } from './resample';
import { looksLikeDicom } from './dicom/parse';

/** Large enough for any radiograph (a 43x43 cm detector at 0.1 mm is ~18 MP), small enough that a
 * hostile "decompression bomb" cannot exhaust memory. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** DICOM codecs decode a whole frame into memory before anything is resized (a 44 KB JPEG 2000 of
 * 10000x10000 took 5 s and 1.25 GB), so DICOM images get a lower cap: still twice the largest
 * detector's 18 MP. */
export const DEFAULT_MAX_DICOM_PIXELS = 40_000_000;

// Every decode is of a different image, so libvips' operation cache never hits; on a 16-core host
// its bookkeeping cost 13% of original-size decode throughput at 16 threads (383 against 340
// images/s; neutral on 2 cores).
sharp.cache(false);

/** Bytes DICOM decodes in flight may hold together (see DicomDecodePool): several 18 MP 16-bit
 * radiographs at once, not six 10000x10000 JPEG 2000 bombs. */
const DICOM_DECODE_BUDGET_BYTES = 1 << 30;
let dicomPool: DicomDecodePool | undefined;

/** ImageNet channel means in BGR order, as Keras' `caffe` preprocessing subtracts them. */
const CAFFE_MEANS_BGR = [103.939, 116.779, 123.68] as const;

/** Formats a scanner or PACS export produces. Everything else sharp could read (SVG, PDF, HEIF...)
 * only widens the attack surface of a service that decodes untrusted uploads. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png']);

export interface PreprocessOptions {
  /** Refuse images with more pixels than this (width x height). */
  maxPixels?: number;
  /** Refuse DICOM images with more pixels than this, before decoding (at most `maxPixels`). */
  maxDicomPixels?: number;
}

/**
 * Turns encoded image bytes into one NHWC float tensor (height x width x 3, row-major) ready for
 * a model trained with `spec`.
 */
export async function preprocess(bytes: Buffer, spec: Preprocessing, opts: PreprocessOptions = {}): Promise<Float32Array> {
  const rgb = await decodeToRgb(bytes, spec.inputSize, opts);
  return normalise(rgb, spec.mode);
}

/**
 * Decodes to 8-bit RGB of exactly `[height, width]`: EXIF orientation applied, grayscale expanded
 * to 3 channels, transparency flattened onto black, 16-bit samples scaled down to 8 bits. Every
 * container is first decoded in full, then resized by the same resampler.
 */
export async function decodeToRgb(bytes: Buffer, inputSize: readonly [number, number], opts: PreprocessOptions = {}): Promise<Uint8Array> {
  return resampleToRgb(await decodePixels(bytes, opts), inputSize);
}

/** The image's pixels at its own size, whatever its container. */
export async function decodePixels(bytes: Buffer, opts: PreprocessOptions = {}): Promise<Pixels> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length === 0) throw new ImageDecodeError('empty', 'image is empty (0 bytes)');
  if (looksLikeDicom(bytes)) {
    dicomPool ??= new DicomDecodePool(DICOM_DECODE_BUDGET_BYTES);
    return dicomPool.decode(bytes, Math.min(maxPixels, opts.maxDicomPixels ?? DEFAULT_MAX_DICOM_PIXELS));
  }

  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    const message = messageOf(err);
    if (/corrupt header/i.test(message)) {
      throw new ImageDecodeError('corrupt', `corrupt image header: ${message}`, { cause: err });
    }
    // sharp's own words ("Input buffer contains unsupported image format") say less than this.
    throw new ImageDecodeError('unsupported-format', 'not a readable image: not JPEG, PNG or DICOM', { cause: err });
  }
  const format = meta.format;
  if (!format || !ACCEPTED_FORMATS.has(format)) {
    throw new ImageDecodeError('unsupported-format', `unsupported image format "${format ?? 'unknown'}" (expected JPEG, PNG or DICOM)`);
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > maxPixels) {
    throw new ImageDecodeError('too-many-pixels', `image has ${pixels} pixels, more than the limit of ${maxPixels}`);
  }
  // Grey stays one channel (a third of the memory of RGB at full size); 16-bit PNGs keep their
  // precision until the resampler has averaged them.
  const grey = (meta.channels ?? 3) <= 2;
  const deep = meta.depth === 'ushort';
  try {
    // failOn 'warning': a JPEG with damaged entropy data still "decodes" to a smeared picture, and
    // scoring that as a patient's X-ray is worse than refusing it.
    // ignoreIcc: the training images were made from the stored pixel values, as PIL and OpenCV
    // read them. Kermany's NORMAL scans carry an Apple grey (gamma 1.8) profile and the PNEUMONIA
    // scans none, so honouring it would serve every such NORMAL ~14 grey levels brighter than the
    // model learned, a shift that correlates with the label.
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'warning', ignoreIcc: true })
      .rotate()
      // Transparent regions outside the film are black on a radiograph, not whatever colour the
      // hidden RGB values happen to hold.
      .flatten({ background: '#000000' })
      .toColourspace(grey ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb')
      .raw({ depth: deep ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels`);
    const samples = deep
      ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { data: samples, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    const message = messageOf(err);
    if (/pixel limit/i.test(message)) {
      throw new ImageDecodeError('too-many-pixels', `image exceeds the limit of ${maxPixels} pixels`, { cause: err });
    }
    throw new ImageDecodeError('corrupt', `corrupt ${format.toUpperCase()} data: ${message}`, { cause: err });
  }
}

/** Applies the backbone's input normalisation to 8-bit RGB, keeping NHWC layout. */
export function normalise(rgb: Uint8Array, mode: Preprocessing['mode']): Float32Array {
  const out = new Float32Array(rgb.length);
  normaliseInto(rgb, mode, out, 0);
  return out;
}

/** MobileNet's scaling of each 8-bit value to [-1, 1]: a lookup is 2-3x faster than the division. */
const MOBILENET_SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/**
 * `normalise` writing into `out` from element `offset`: a batch is filled in place, with no
 * per-image float copy (600 KB at 224 px) to allocate and copy again.
 */
export function normaliseInto(rgb: Uint8Array, mode: Preprocessing['mode'], out: Float32Array, offset: number): void {
  if (offset + rgb.length > out.length) throw new RangeError(`${rgb.length} values do not fit at ${offset} in ${out.length}`);
  if (mode === 'mobilenet') {
    for (let i = 0; i < rgb.length; i++) out[offset + i] = MOBILENET_SCALE[rgb[i]!]!;
    return;
  }
  for (let i = 0; i < rgb.length; i += 3) {
    out[offset + i] = rgb[i + 2]! - CAFFE_MEANS_BGR[0];
    out[offset + i + 1] = rgb[i + 1]! - CAFFE_MEANS_BGR[1];
    out[offset + i + 2] = rgb[i]! - CAFFE_MEANS_BGR[2];
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
