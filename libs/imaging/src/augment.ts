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

/**
 * Largest change of aspect ratio either way. The published 224-px copies of the Kermany set were
 * squashed to squares from originals whose shape differs by class (width/height median 1.2 for
 * normals, 1.5 for pneumonia in kermany-original-sample), so body proportions betray the label:
 * a model trained without this change called 16% of validation normals pneumonia once they were
 * reshaped as if from a wider original. Varying the shape takes that shortcut away.
 */
export const MAX_ASPECT_CHANGE = 1.3;

/** Draws an augmentation: a field of view of 88-100% of the image whose aspect ratio changes by
 * up to MAX_ASPECT_CHANGE either way (log-uniform), contrast within +-15%, brightness within +-20
 * of 255. */
export function randomAugmentation(random: () => number): Augmentation {
  const scale = 0.88 + 0.12 * random();
  const aspect = MAX_ASPECT_CHANGE ** (2 * random() - 1);
  const width = scale * Math.min(1, aspect);
  const height = scale * Math.min(1, 1 / aspect);
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
