import type { Preprocessing } from '@pneumoscreen/contracts';
import {
  augmentRgb,
  decodeToRgb,
  nestedView,
  normalise,
  NO_AUGMENTATION,
  preprocess,
  TTA_VIEWS,
  type Augmentation,
} from '@pneumoscreen/imaging';
import type { LabelledImage } from '@pneumoscreen/evaluation';
import { ASPECT_VIEWS } from '../training/aspect-stress';
import { augmentedInput, AUGMENTATION_RECIPE } from '../training/augmented-input';
import type { Backbone } from '../training/backbones';
import { FeatureCache } from '../training/feature-cache';
import { extractActivations } from '../training/features';
import { decodeHalfInto } from '../training/float16';

/** The views levers are judged on: validation as it is, then the project's stress views. */
export const EVAL_VIEWS: Record<string, Augmentation['crop']> = { validation: NO_AUGMENTATION.crop, ...ASPECT_VIEWS };
/** The fixed test-time views averaged with the plain one. */
export const LEVER_TTA_VIEWS = ['zoom', 'exposure'] as const;

export interface LeverFeatures {
  /** Pooled features [n * dim] of the training images: the plain view, then each augmented copy. */
  train: Float32Array[];
  /** Of the validation images, by eval view, then by TTA view ('plain' first). */
  val: Record<string, Record<string, Float32Array>>;
  /** Backbone passes made (not read from the cache) and the seconds they took. */
  computed: { passes: number; seconds: number };
}

export interface LeverFeatureOptions {
  backbone: Backbone;
  backboneDir: string;
  backboneKey: string;
  cacheDir: string;
  seed: number;
  augmentCopies: number;
  workers: number;
  onProgress?: (pass: string, done: number, total: number) => void;
}

/**
 * Pooled backbone features of every view the lever comparison scores, each pass read from or
 * added to its own cache (keyed by backbone, view and, for augmented copies, recipe and seed).
 */
export async function leverFeatures(train: LabelledImage[], val: LabelledImage[], opts: LeverFeatureOptions): Promise<LeverFeatures> {
  const spec = opts.backbone.preprocessing;
  const computed = { passes: 0, seconds: 0 };
  const extract = async (pass: string, images: LabelledImage[], prepare: (bytes: Buffer) => Promise<Float32Array>) => {
    const started = Date.now();
    const cache = await FeatureCache.open(opts.cacheDir, `${opts.backboneKey}-pooled-${pass}`, opts.backbone.featureDim);
    let fromCache = 0;
    const rows = await extractActivations(images, {
      backboneDir: opts.backboneDir,
      backbone: opts.backbone,
      cache,
      prepare,
      workers: opts.workers,
      batchSize: 16,
      pooledFeatures: true,
      onProgress: (p) => {
        fromCache = p.fromCache;
        opts.onProgress?.(pass, p.done, p.total);
      },
    });
    const unique = new Set(images.map((i) => i.sha256)).size;
    if (unique > fromCache) {
      computed.passes += unique - fromCache;
      computed.seconds += (Date.now() - started) / 1000;
    }
    return decodeRows(rows, opts.backbone.featureDim);
  };

  const out: LeverFeatures = { train: [await extract('plain', train, (b) => preprocess(b, spec))], val: {}, computed };
  for (let copy = 1; copy <= opts.augmentCopies; copy++) {
    out.train.push(await extract(`${AUGMENTATION_RECIPE}-seed${opts.seed}-copy${copy}`, train, augmentedInput(spec, opts.seed, copy)));
  }
  for (const [view, crop] of Object.entries(EVAL_VIEWS)) {
    const name = (tta: string) => (view === 'validation' ? tta : `${view}-${tta}`);
    const plain = view === 'validation' ? (b: Buffer) => preprocess(b, spec) : viewInput(spec, { ...NO_AUGMENTATION, crop });
    out.val[view] = { plain: await extract(name('plain'), val, plain) };
    for (const tta of LEVER_TTA_VIEWS)
      out.val[view]![tta] = await extract(name(tta), val, viewInput(spec, nestedView(crop, TTA_VIEWS[tta])));
  }
  return out;
}

/** Model input of an image under one fixed augmentation. */
export function viewInput(spec: Preprocessing, aug: Augmentation): (bytes: Buffer) => Promise<Float32Array> {
  return async (bytes) => normalise(await augmentRgb(await decodeToRgb(bytes, spec.inputSize), spec.inputSize, aug), spec.mode);
}

function decodeRows(rows: Uint16Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => decodeHalfInto(row, out, i * dim));
  return out;
}
