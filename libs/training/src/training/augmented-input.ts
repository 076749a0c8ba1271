import { createHash } from 'node:crypto';
import type { Preprocessing } from '@pneumoscreen/contracts';
import { augmentRgb, decodeToRgb, normalise, randomAugmentation, type Augmentation } from '@pneumoscreen/imaging';
import { STRESS_ASPECT } from './aspect-stress';
import { mulberry32 } from '@pneumoscreen/evaluation';

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
  return variantInput(spec, `${seed}:${copy}`, randomAugmentation);
}

/** Bump when the recipe of shapeSwappedInput changes. */
export const SHAPE_SWAP_RECIPE = 'swap122-jitter10-crop90-r1';
/** Spread of the swapped shape around STRESS_ASPECT (log-uniform, either way). */
const SWAP_JITTER = 1.1;

/**
 * Training copy number `copy` of an image given the film shape of the other class: a NORMAL image
 * as if its film had been STRESS_ASPECT times wider (its body looks narrower, as pneumonia films'
 * do), a PNEUMONIA image as if STRESS_ASPECT times taller, with the exposure changes of
 * augmentedInput. With as many swapped copies as plain and augmented ones, each class shows both
 * classes' shapes equally often, so shape stops predicting the label. Training only: the views
 * depend on the label, which serving does not know.
 */
export function shapeSwappedInput(spec: Preprocessing, seed: number, copy: number, label: 0 | 1): (bytes: Buffer) => Promise<Float32Array> {
  return variantInput(spec, `${seed}:swap:${copy}`, (random) => {
    const photometric = randomAugmentation(random);
    const aspect = (STRESS_ASPECT * SWAP_JITTER ** (2 * random() - 1)) ** (label === 0 ? 1 : -1);
    const scale = 0.9 + 0.1 * random();
    const width = scale * Math.min(1, aspect);
    const height = scale * Math.min(1, 1 / aspect);
    return { ...photometric, crop: { left: (1 - width) * random(), top: (1 - height) * random(), width, height } };
  });
}

/** The input of one seeded variation of an image; the variation depends only on the image content and `variant`. */
function variantInput(
  spec: Preprocessing,
  variant: string,
  draw: (random: () => number) => Augmentation,
): (bytes: Buffer) => Promise<Float32Array> {
  return async (bytes) => {
    const digest = createHash('sha256').update(bytes).update(variant).digest();
    const random = mulberry32(digest.readUInt32LE(0));
    const rgb = await decodeToRgb(bytes, spec.inputSize);
    const augmented = await augmentRgb(rgb, spec.inputSize, draw(random));
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

/** Cache key of one shape-swapped copy: one file per label, as the same bytes may carry either. */
export function shapeSwapCacheKey(backboneKey: string, seed: number, copy: number, label: 0 | 1): string {
  return `${backboneKey}-${SHAPE_SWAP_RECIPE}-seed${seed}-copy${copy}-${label === 0 ? 'narrower' : 'wider'}`;
}
