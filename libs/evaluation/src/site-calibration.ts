import { SiteCalibration, type Proportion } from '@pneumoscreen/contracts';
import { confusionAt, rocAuc, thresholdForSensitivity, type Labels, type Scores } from './binary-classification';

/** Fewer images of a class than this and a fitted threshold is noise, not a calibration. */
export const MIN_IMAGES_PER_CLASS = 10;

export class CalibrationDataError extends Error {
  override name = 'CalibrationDataError';
}

/** A site's threshold is chosen exactly as training chooses a version's on validation: the highest
 * one whose sensitivity reaches the target, i.e. the best specificity that still catches it. */
export const fitThreshold: (scores: Scores, labels: Labels, targetSensitivity: number) => number = thresholdForSensitivity;

/**
 * Wilson score interval of a binomial proportion (Wilson 1927; Newcombe 1998, method 3). Unlike
 * the normal approximation it stays inside [0, 1] and is not degenerate at 0 or `of` successes,
 * which is where a sensitivity of 0.95 on a few dozen images sits.
 */
export function wilsonInterval(count: number, of: number, z = 1.96): { low: number; high: number } {
  if (!Number.isInteger(of) || of <= 0) throw new RangeError(`a proportion needs a positive whole number of trials, not ${of}`);
  if (!Number.isInteger(count) || count < 0 || count > of) throw new RangeError(`${count} successes of ${of} trials is not a proportion`);
  const p = count / of;
  const z2 = z * z;
  const denominator = 1 + z2 / of;
  const centre = (p + z2 / (2 * of)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / of + z2 / (4 * of * of))) / denominator;
  // Clamp rounding at the ends: 0 of n must give exactly 0 as its lower bound.
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function proportion(count: number, of: number): Proportion {
  return { value: count / of, ...wilsonInterval(count, of), count, of };
}

/** How many of each class the labels hold; CalibrationDataError when either has fewer than `min`. */
export function checkClassCounts(labels: Labels, min = MIN_IMAGES_PER_CLASS): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  const negatives = labels.length - positives;
  if (positives < min || negatives < min) {
    throw new CalibrationDataError(
      `calibration needs at least ${min} images of each class; got ${positives} PNEUMONIA and ${negatives} NORMAL`,
    );
  }
  return { positives, negatives };
}

export interface CalibrateInput {
  scores: Scores;
  /** 1 = PNEUMONIA, 0 = NORMAL. */
  labels: Labels;
  targetSensitivity: number;
  model: string;
  version: string;
  site: string;
  source: SiteCalibration['source'];
  fittedAt: Date;
  minPerClass?: number;
}

/** Fits a version's threshold for one site and measures it, with 95% intervals, on the same
 * images. Refuses (CalibrationDataError) a set with too few images of either class. */
export function calibrate(input: CalibrateInput): SiteCalibration {
  const { scores, labels, targetSensitivity } = input;
  checkClassCounts(labels, input.minPerClass);
  const threshold = fitThreshold(scores, labels, targetSensitivity);
  const c = confusionAt(scores, labels, threshold);
  return SiteCalibration.parse({
    model: input.model,
    version: input.version,
    site: input.site,
    threshold,
    targetSensitivity,
    n: labels.length,
    sensitivity: proportion(c.tp, c.tp + c.fn),
    specificity: proportion(c.tn, c.tn + c.fp),
    auc: rocAuc(scores, labels),
    source: input.source,
    fittedAt: input.fittedAt.toISOString(),
  });
}
