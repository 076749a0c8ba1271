import { createHash } from 'node:crypto';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { augmentRgb, decodeToRgb, normalise, randomAugmentation } from '@pneumoscreen/imaging';
import { mulberry32 } from './split';

/** Bump when randomAugmentation's recipe changes: cached features of old variants become stale. */
export const AUGMENTATION_RECIPE = 'crop85-contrast15-bright20-r1';

/**
 * Model input for augmented copy number `copy` (1-based) of an image. The variation depends only
 * on the image content, seed and copy number, so cached features stay valid across runs.
 */
export function augmentedInput(spec: Preprocessing, seed: number, copy: number): (bytes: Buffer) => Promise<Float32Array> {
  return async (bytes) => {
    const digest = createHash('sha256').update(bytes).update(`${seed}:${copy}`).digest();
    const random = mulberry32(digest.readUInt32LE(0));
    const rgb = await decodeToRgb(bytes, spec.inputSize);
    return normalise(await augmentRgb(rgb, spec.inputSize, randomAugmentation(random)), spec.mode);
  };
}

/** Feature-cache key of one augmented copy. */
export function augmentedCacheKey(backboneKey: string, seed: number, copy: number): string {
  return `${backboneKey}-${AUGMENTATION_RECIPE}-seed${seed}-copy${copy}`;
}
