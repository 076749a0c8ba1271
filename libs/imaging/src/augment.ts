import sharp from 'sharp';

/** One random variation of an X-ray for training: a smaller field of view, different exposure. */
export interface Augmentation {
  /** Region kept, as fractions of width and height, later stretched back to full size. */
  crop: { left: number; top: number; width: number; height: number };
  /** Multiplies the distance from mid-grey: 1 leaves contrast unchanged. */
  contrast: number;
  /** Added to every 8-bit sample after contrast (exposure shift). */
  brightness: number;
}

/** Draws an augmentation: each side keeps 85-100% (aspect may change a little, as patient size
 * and collimation do), contrast within +-15%, brightness within +-20 of 255. */
export function randomAugmentation(random: () => number): Augmentation {
  const width = 0.85 + 0.15 * random();
  const height = 0.85 + 0.15 * random();
  return {
    crop: { left: (1 - width) * random(), top: (1 - height) * random(), width, height },
    contrast: 0.85 + 0.3 * random(),
    brightness: -20 + 40 * random(),
  };
}

/** Applies `aug` to 8-bit RGB of `[height, width]`, returning the same size. */
export async function augmentRgb(rgb: Uint8Array, inputSize: readonly [number, number], aug: Augmentation): Promise<Uint8Array> {
  const [height, width] = inputSize;
  const region = {
    left: Math.floor(aug.crop.left * width),
    top: Math.floor(aug.crop.top * height),
    width: Math.max(1, Math.round(aug.crop.width * width)),
    height: Math.max(1, Math.round(aug.crop.height * height)),
  };
  region.width = Math.min(region.width, width - region.left);
  region.height = Math.min(region.height, height - region.top);
  const data = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .extract(region)
    .resize(width, height, { fit: 'fill' })
    .linear(aug.contrast, 128 * (1 - aug.contrast) + aug.brightness)
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
