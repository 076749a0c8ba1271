import type { Labels, Scores } from './binary-classification';

/** Mean squared error of P(PNEUMONIA) against the 0/1 label: 0 is perfect, 0.25 is always 0.5. */
export function brierScore(scores: Scores, labels: Labels): number {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += (scores[i]! - labels[i]!) ** 2;
  return sum / scores.length;
}

/**
 * Expected calibration error over `bins` equal-width bins of P(PNEUMONIA): the share-weighted mean
 * gap between each bin's mean score and its share of pneumonia. 0 when the scores are calibrated.
 */
export function expectedCalibrationError(scores: Scores, labels: Labels, bins = 10): number {
  const count = new Array<number>(bins).fill(0);
  const scoreSum = new Array<number>(bins).fill(0);
  const positives = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const b = Math.min(bins - 1, Math.floor(scores[i]! * bins));
    count[b]! += 1;
    scoreSum[b]! += scores[i]!;
    positives[b]! += labels[i]!;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(scoreSum[b]! - positives[b]!) / scores.length;
  return ece;
}

/** Mean of max(p, 1 - p): how sure the model is, right or wrong (0.5 to 1). */
export function meanConfidence(scores: Scores): number {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.max(scores[i]!, 1 - scores[i]!);
  return sum / scores.length;
}
