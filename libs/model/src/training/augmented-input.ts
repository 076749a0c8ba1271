import { createHash } from 'node:crypto';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { augmentRgb, decodeToRgb, normalise, randomAugmentation } from '@pneumoscreen/imaging';
import { mulberry32 } from './split';

/** Bump when the recipe below changes: cached activations of old variants become stale. */
export const AUGMENTATION_RECIPE = 'crop88-aspect30-contrast15-bright20-gamma25-r3';
/** Largest gamma factor either way: exposure curves differ between machines and technicians,
 * and a brightness offset alone does not reproduce a different curve. */
const MAX_GAMMA = 1.25;

/**
 * Model input for augmented copy number `copy` (1-based) of an image. The variation depends only
 * on the image content, seed and copy number, so cached activations stay valid across runs and
 * `eval --tta` can reproduce the very views the validation metrics were measured on.
 */
export function augmentedInput(spec: Preprocessing, seed: number, copy: number): (bytes: Buffer) => Promise<Float32Array> {
  return async (bytes) => {
    const digest = createHash('sha256').update(bytes).update(`${seed}:${copy}`).digest();
    const random = mulberry32(digest.readUInt32LE(0));
    const rgb = await decodeToRgb(bytes, spec.inputSize);
    const augmented = await augmentRgb(rgb, spec.inputSize, randomAugmentation(random));
    return normalise(applyGamma(augmented, MAX_GAMMA ** (2 * random() - 1)), spec.mode);
  };
}

function applyGamma(rgb: Uint8Array, gamma: number): Uint8Array {
  const table = Uint8Array.from({ length: 256 }, (_, v) => Math.round(255 * (v / 255) ** gamma));
  return rgb.map((v) => table[v]!);
}

/** Cache key of one augmented copy. */
export function augmentedCacheKey(backboneKey: string, seed: number, copy: number): string {
  return `${backboneKey}-${AUGMENTATION_RECIPE}-seed${seed}-copy${copy}`;
}
