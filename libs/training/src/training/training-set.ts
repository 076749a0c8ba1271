import type { LabelledImage } from '@pneumoscreen/evaluation';
import { patientSplit, type PatientSplit } from '@pneumoscreen/evaluation';

export interface TrainingSet {
  /** The base images, then the extra training images kept: what activations are computed for. */
  images: LabelledImage[];
  /** Indexes into `images`; the extra images are on the training side only. */
  train: number[];
  val: number[];
  /** The base data and its patient split, as if there were no extra images. */
  base: { images: LabelledImage[]; split: PatientSplit };
  extra: {
    images: LabelledImage[];
    /** Extra images dropped for having the bytes of a validation image: training on them would
     * grade the model on what it was taught. */
    droppedAsValidation: number;
  };
}

/**
 * The patient-grouped split of the base data, which extra images never change: every version
 * trained on the same base data, seed and fraction is validated on the very same images, so their
 * metrics compare. The extra images (e.g. labelled feedback) only join the training side.
 */
export function buildTrainingSet(base: LabelledImage[], extra: readonly LabelledImage[], valFraction: number, seed: number): TrainingSet {
  const split = patientSplit(base, valFraction, seed);
  const valContent = new Set(split.val.map((i) => base[i]!.sha256));
  const kept = extra.filter((image) => !valContent.has(image.sha256));
  const images = [...base, ...kept];
  return {
    images,
    train: [...split.train, ...kept.map((_, k) => base.length + k)],
    val: split.val,
    base: { images: base, split },
    extra: { images: kept, droppedAsValidation: extra.length - kept.length },
  };
}
