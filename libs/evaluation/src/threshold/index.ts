import type { ThresholdMethod } from '@pneumoscreen/contracts';
import { thresholdForSensitivity, type Labels, type Scores } from '../binary-classification';
import { binormalThreshold } from './binormal';
import { bootstrapThreshold } from './bootstrap';
import { orderStatisticThreshold, promiseConfidence } from './order-statistic';

export { binormalThreshold, fitLogitNormal, fittedShare, logit, toleranceFactor, type NormalFit } from './binormal';
export { BOOTSTRAP_RESAMPLES, bootstrapThreshold } from './bootstrap';
export { minPositives, orderStatisticThreshold, promiseConfidence } from './order-statistic';
export { binomialCdf, normalCdf, normalQuantile } from './stats';

// The methods are a contract: manifests record the one a version's threshold was chosen with.
export { THRESHOLD_METHODS, type ThresholdMethod } from '@pneumoscreen/contracts';
/** Binormal uses every positive score rather than one order statistic, so its threshold varies
 * less between samples: on simulated 116-image sites (threshold.spec) and on site-sized draws from
 * the release model's real scores (`calibration compare`, README "Which threshold method keeps its
 * promise"), where it kept 0.95 in 98-99% of draws with more specificity than order-statistic up to
 * about 200 images. */
export const DEFAULT_THRESHOLD_METHOD: ThresholdMethod = 'binormal';
export const DEFAULT_CONFIDENCE = 0.95;

export interface ThresholdRule {
  target: number;
  method: ThresholdMethod;
  confidence: number;
}

export interface ThresholdChoice {
  threshold: number;
  /** Distribution-free P(sensitivity >= target) on the next images, given these positives. */
  promiseConfidence: number;
}

export function positiveScores(scores: Scores, labels: Labels): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) out.push(scores[i]!);
  return Float64Array.from(out);
}

/** Every method looks at the positives only, so the negatives measure specificity without bias. */
export function chooseThreshold(scores: Scores, labels: Labels, rule: ThresholdRule): ThresholdChoice {
  const { target, method, confidence } = rule;
  // A promise of every positive cannot be kept with confidence from a sample; only on it.
  if (!(target > 0 && (target < 1 || method === 'empirical')))
    throw new Error(`target sensitivity ${target} must be in (0, 1)${method === 'empirical' ? ']' : ` for ${method}`}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence ${confidence} must be in (0, 1)`);
  const positives = positiveScores(scores, labels);
  if (!positives.length) throw new Error('no positive labels: sensitivity is undefined');
  const threshold =
    method === 'empirical'
      ? thresholdForSensitivity(scores, labels, target)
      : method === 'order-statistic'
        ? orderStatisticThreshold(positives, target, confidence)
        : method === 'bootstrap'
          ? bootstrapThreshold(positives, target, confidence)
          : binormalThreshold(positives, target, confidence);
  return { threshold, promiseConfidence: promiseConfidence(positives, threshold, target) };
}
