import { SiteCalibration, type Proportion } from '@pneumoscreen/contracts';
import { confusionAt, rocAuc, type Labels, type Scores } from './binary-classification';
import { DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD_METHOD, chooseThreshold, minPositives, type ThresholdMethod } from './threshold';

/** Fewer images of a class than this and a fitted threshold is noise, not a calibration. */
export const MIN_IMAGES_PER_CLASS = 10;

export class CalibrationDataError extends Error {
  override name = 'CalibrationDataError';
}

/**
 * Wilson score interval of a binomial proportion (Wilson 1927; Newcombe 1998, method 3). Unlike
 * the normal approximation it stays inside [0, 1] and is not degenerate at 0 or `of` successes,
 * which is where a sensitivity of 0.95 on a few dozen images sits.
 */
export function wilsonInterval(count: number, of: number, z = 1.96): { low: number; high: number } {
  if (!Number.isInteger(of) || of <= 0) throw new RangeError(`a proportion needs a positive whole number of trials, not ${of}`);
  if (!Number.isInteger(count) || count < 0 || count > of) throw new RangeError(`${count} successes of ${of} trials is not a proportion`);
  return wilsonBounds(count / of, of, z);
}

/** The Wilson interval at a share `p` of `of` trials; `p` need not be a whole count's, so that
 * sample sizes can be solved for at an observed proportion (interval-width). */
export function wilsonBounds(p: number, of: number, z = 1.96): { low: number; high: number } {
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

/** Said when the positives are too few for the promise: how many there are and how many it needs. */
export class TooFewPositivesError extends CalibrationDataError {
  override name = 'TooFewPositivesError';
  constructor(
    readonly positives: number,
    readonly needed: number,
    target: number,
    confidence: number,
  ) {
    const pct = (x: number) => `${+(100 * x).toFixed(2)}%`;
    const promise = `a promise of ${pct(target)} sensitivity with ${pct(confidence)} confidence`;
    super(
      needed === Infinity
        ? `no number of PNEUMONIA images (here ${positives}) can back ${promise}: a sample without misses does not show there are none`
        : `${positives} PNEUMONIA images cannot back ${promise}: it needs at least ${needed}. A model that misses more than ` +
            `${pct(1 - target)} of cases still catches all of n positives with probability ${target}^n, and only from ` +
            `n = ${needed} (${target}^${needed} = ${(target ** needed).toFixed(3)}) is that below ${+(1 - confidence).toFixed(4)}, ` +
            `whatever the threshold`,
    );
  }
}

export interface CalibrationSetRule {
  targetSensitivity: number;
  /** Default DEFAULT_CONFIDENCE. */
  confidence?: number;
  /** Fit anyway on fewer positives than minPositives: recorded as `fewPositives`. */
  allowFewPositives?: boolean;
  minPerClass?: number;
}

/**
 * Whether a labelled set can carry a site calibration: at least `minPerClass` of each class
 * (CalibrationDataError), and at least minPositives(target, confidence) positives
 * (TooFewPositivesError) unless `allowFewPositives`, in which case `fewPositives` says so.
 */
export function checkCalibrationSet(
  labels: Labels,
  rule: CalibrationSetRule,
): { positives: number; negatives: number; neededPositives: number; fewPositives: boolean } {
  const counts = checkClassCounts(labels, rule.minPerClass);
  const confidence = rule.confidence ?? DEFAULT_CONFIDENCE;
  // No sample backs a promise of every positive with confidence (0 misses seen says little).
  const neededPositives = rule.targetSensitivity < 1 ? minPositives(rule.targetSensitivity, confidence) : Infinity;
  const fewPositives = counts.positives < neededPositives;
  if (fewPositives && !rule.allowFewPositives)
    throw new TooFewPositivesError(counts.positives, neededPositives, rule.targetSensitivity, confidence);
  return { ...counts, neededPositives, fewPositives };
}

export interface CalibrateInput extends CalibrationSetRule {
  scores: Scores;
  /** 1 = PNEUMONIA, 0 = NORMAL. */
  labels: Labels;
  /** Default DEFAULT_THRESHOLD_METHOD. */
  method?: ThresholdMethod;
  model: string;
  version: string;
  site: string;
  source: SiteCalibration['source'];
  fittedAt: Date;
}

/** Chooses a version's threshold for one site by `method` (chooseThreshold) and measures it, with
 * 95% intervals, on the same images. Refuses a set checkCalibrationSet refuses. */
export function calibrate(input: CalibrateInput): SiteCalibration {
  const { scores, labels, targetSensitivity } = input;
  const method = input.method ?? DEFAULT_THRESHOLD_METHOD;
  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  const { fewPositives } = checkCalibrationSet(labels, input);
  const choice = chooseThreshold(scores, labels, { target: targetSensitivity, method, confidence });
  const c = confusionAt(scores, labels, choice.threshold);
  return SiteCalibration.parse({
    model: input.model,
    version: input.version,
    site: input.site,
    threshold: choice.threshold,
    targetSensitivity,
    n: labels.length,
    sensitivity: proportion(c.tp, c.tp + c.fn),
    specificity: proportion(c.tn, c.tn + c.fp),
    auc: rocAuc(scores, labels),
    source: input.source,
    fittedAt: input.fittedAt.toISOString(),
    method,
    confidence,
    promiseConfidence: choice.promiseConfidence,
    fewPositives,
  });
}
