import type { BinaryMetrics } from '@pneumoscreen/contracts';

/** Labels: 1 = PNEUMONIA (positive), 0 = NORMAL. Scores: P(PNEUMONIA). */
export type Labels = ArrayLike<number>;
export type Scores = ArrayLike<number>;

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface RocPoint {
  /** Scores at or above this are called positive. */
  threshold: number;
  fpr: number;
  tpr: number;
}

function checkInputs(scores: Scores, labels: Labels): void {
  if (scores.length !== labels.length) {
    throw new Error(`${scores.length} scores but ${labels.length} labels`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`label ${i} is ${labels[i]}; expected 0 or 1`);
    if (Number.isNaN(scores[i])) throw new Error(`score ${i} is NaN`);
  }
}

/** A score at or above `threshold` is called positive (the manifest's convention). */
export function confusionAt(scores: Scores, labels: Labels, threshold: number): Confusion {
  checkInputs(scores, labels);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i]! >= threshold;
    if (labels[i] === 1) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

/** Sensitivity (recall of PNEUMONIA); NaN when there are no positives. */
export function sensitivity(c: Confusion): number {
  return c.tp / (c.tp + c.fn);
}

/** Specificity (recall of NORMAL); NaN when there are no negatives. */
export function specificity(c: Confusion): number {
  return c.tn / (c.tn + c.fp);
}

export function accuracy(c: Confusion): number {
  return (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn);
}

/**
 * ROC curve, one point per distinct score (descending thresholds), starting at (0, 0) with
 * threshold +Infinity. Tied scores move in one diagonal step, as they must: no threshold can
 * separate them.
 */
export function rocPoints(scores: Scores, labels: Labels): RocPoint[] {
  checkInputs(scores, labels);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  const negatives = labels.length - positives;
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length;) {
    const threshold = scores[order[k]!]!;
    for (; k < order.length && scores[order[k]!] === threshold; k++) labels[order[k]!] === 1 ? tp++ : fp++;
    points.push({ threshold, fpr: negatives ? fp / negatives : NaN, tpr: positives ? tp / positives : NaN });
  }
  return points;
}

/** Area under the ROC curve: the probability that a random positive outscores a random negative,
 * ties counting one half. NaN when either class is absent. */
export function rocAuc(scores: Scores, labels: Labels): number {
  const points = rocPoints(scores, labels);
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
  }
  return area;
}

/**
 * The highest threshold whose sensitivity is at least `target`, i.e. the best specificity that
 * still catches the target share of pneumonia. It is an observed score, so `score >= threshold`
 * reproduces the sensitivity found here.
 */
export function thresholdForSensitivity(scores: Scores, labels: Labels, target: number): number {
  if (!(target > 0 && target <= 1)) throw new Error(`target sensitivity ${target} must be in (0, 1]`);
  const points = rocPoints(scores, labels);
  if (Number.isNaN(points[points.length - 1]!.tpr)) throw new Error('no positive labels: sensitivity is undefined');
  for (const p of points) if (p.tpr >= target - 1e-12) return p.threshold;
  throw new Error('unreachable: the last ROC point has sensitivity 1');
}

/** Everything a manifest records about one labelled set at one threshold. */
export function binaryMetrics(scores: Scores, labels: Labels, threshold: number): BinaryMetrics {
  const confusion = confusionAt(scores, labels, threshold);
  return {
    n: scores.length,
    accuracy: accuracy(confusion),
    sensitivity: sensitivity(confusion),
    specificity: specificity(confusion),
    auc: rocAuc(scores, labels),
    threshold,
    confusion,
  };
}
