import { preprocess } from '@pneumoscreen/imaging';
import { augmentedCacheKey, augmentedInput, shapeSwapCacheKey, shapeSwappedInput } from './augmented-input';
import type { Backbone } from './backbones';
import type { LabelledImage } from '@pneumoscreen/evaluation';
import { FeatureCache } from './feature-cache';
import { extractActivations } from './features';
import type { TrainOptions, TrainProgress } from './train-options';

export interface TrainingViews {
  /** The plain view, then each augmented copy: one row per image, validation included (its
   * augmented copies are the test-time augmentation views). */
  variants: Uint16Array[][];
  /** Each shape-swapped copy: one row per training image, in `train` order. */
  swapped: Uint16Array[][];
  seconds: number;
}

type ViewOptions = Pick<TrainOptions, 'seed' | 'cacheDir' | 'workers' | 'augmentCopies' | 'shapeSwapCopies'>;

/** Backbone activations of every view training uses, each pass read from or added to its cache. */
export async function extractTrainingViews(
  images: readonly LabelledImage[],
  train: readonly number[],
  backbone: Backbone,
  source: { dir: string; key: string },
  opts: ViewOptions,
  progress: (event: TrainProgress) => void,
): Promise<TrainingViews> {
  const started = Date.now();
  const dim = backbone.cutShape.reduce((a, b) => a * b, 1);
  const extract = async (
    pass: string,
    cacheKey: string,
    prepare: (b: Buffer) => Promise<Float32Array>,
    subset: readonly LabelledImage[],
  ) => {
    const passStart = Date.now();
    return extractActivations(subset, {
      backboneDir: source.dir,
      backbone,
      cache: await FeatureCache.open(opts.cacheDir, cacheKey, dim),
      prepare,
      workers: opts.workers,
      batchSize: 16,
      onProgress: (p) => progress({ phase: 'extract', pass, ...p, elapsedMs: Date.now() - passStart }),
    });
  };

  const variants = [await extract('plain', `${source.key}-plain`, (bytes) => preprocess(bytes, backbone.preprocessing), images)];
  for (let copy = 1; copy <= opts.augmentCopies; copy++) {
    const prepare = augmentedInput(backbone.preprocessing, opts.seed, copy);
    variants.push(
      await extract(`augmented ${copy}/${opts.augmentCopies}`, augmentedCacheKey(source.key, opts.seed, copy), prepare, images),
    );
  }
  // Shape-swapped copies depend on the label, so only training images get them, never validation.
  const swapped: Uint16Array[][] = [];
  for (let copy = 1; copy <= opts.shapeSwapCopies; copy++) {
    const rows: Uint16Array[] = new Array(train.length);
    for (const label of [0, 1] as const) {
      const at = train.map((i, r) => [i, r] as const).filter(([i]) => images[i]!.label === label);
      const prepare = shapeSwappedInput(backbone.preprocessing, opts.seed, copy, label);
      const pass = `shape-swapped ${copy}/${opts.shapeSwapCopies}, ${label === 0 ? 'NORMAL' : 'PNEUMONIA'}`;
      const acts = await extract(
        pass,
        shapeSwapCacheKey(source.key, opts.seed, copy, label),
        prepare,
        at.map(([i]) => images[i]!),
      );
      at.forEach(([, r], k) => (rows[r] = acts[k]!));
    }
    swapped.push(rows);
  }
  return { variants, swapped, seconds: (Date.now() - started) / 1000 };
}
