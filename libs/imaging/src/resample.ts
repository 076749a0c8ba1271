import sharp from 'sharp';

/**
 * Decoded pixels at the image's own size, before any resampling: what every container (JPEG, PNG,
 * each DICOM encoding) is reduced to, so that one resize serves them all.
 */
export interface Pixels {
  /** Row-major samples, `channels` per pixel: 8-bit, or 16-bit for 16-bit PNGs. */
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1: grey; 3: RGB. */
  channels: 1 | 3;
}

/**
 * Resizes decoded pixels to 8-bit RGB of exactly `[height, width]`.
 *
 * The Kermany training images were squashed to 224x224 without keeping aspect; serving must
 * distort the same way or the model sees differently shaped lungs than it learned. Of sharp's
 * kernels, full-resolution bilinear reproduces those copies from the original scans best (mean
 * squared error 9.8 grey levels², against 15.6 for the default lanczos3).
 *
 * The input is always raw pixels, never an encoded file: given a JPEG, libvips decodes it at 1/2,
 * 1/4 or 1/8 scale in the IDCT when the shrink allows (shrink-on-load, which sharp applies even
 * with `fastShrinkOnLoad: false` once the shrink is 4 or more), and the same radiograph scored
 * 0.644 as a JPEG against 0.715 as a lossless DICOM or PNG of the same pixels.
 */
export async function resampleToRgb(pixels: Pixels, inputSize: readonly [number, number]): Promise<Uint8Array> {
  const [height, width] = inputSize;
  const { data, info } = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(`resampler produced ${info.width}x${info.height}x${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
