import { confusionAt, sensitivity, specificity, type Labels, type Scores } from '../binary-classification';
import { mulberry32 } from '../split';
import { chooseThreshold, type ThresholdMethod, type ThresholdRule } from './index';

export interface DrawOptions {
  methods: readonly ThresholdMethod[];
  target: number;
  confidence: number;
  /** Images a site calibrates on (drawn from the source, the rest measure the threshold). */
  siteSize: number;
  draws: number;
  seed: number;
}

export interface MethodOnDraws {
  method: ThresholdMethod;
  /** Share of draws whose held-out sensitivity reached the target: how often the promise was kept. */
  kept: number;
  meanSensitivity: number;
  /** 5th percentile of held-out sensitivity over the draws (nearest rank, lower). */
  p5Sensitivity: number;
  meanSpecificity: number;
  meanThreshold: number;
}

export interface DrawComparison {
  images: number;
  positives: number;
  /** Every draw holds exactly these many of each class (stratified by class). */
  site: { positives: number; negatives: number };
  heldOut: { positives: number; negatives: number };
  draws: number;
  results: MethodOnDraws[];
}

/**
 * Repeated site-sized calibrations on one scored source: each draw takes a class-stratified random
 * `siteSize` subsample (the source's prevalence, so every draw has the same number of positives,
 * the n each method's promise is stated for), chooses every method's threshold on it and measures
 * sensitivity and specificity on the rest of the source. Seeded: the same input gives the same
 * result, and all methods see the same draws.
 */
export function compareOnDraws(scores: Scores, labels: Labels, o: DrawOptions): DrawComparison {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores but ${labels.length} labels`);
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? positives : negatives).push(i);
  const sitePositives = Math.round((o.siteSize * positives.length) / labels.length);
  const siteNegatives = o.siteSize - sitePositives;
  if (sitePositives < 1 || siteNegatives < 0 || sitePositives >= positives.length || siteNegatives >= negatives.length)
    throw new Error(
      `a site of ${o.siteSize} images cannot be drawn from ${positives.length} positives and ${negatives.length} negatives with images of both classes left to measure on`,
    );
  if (!(o.draws >= 1)) throw new Error(`draws ${o.draws} must be at least 1`);

  const random = mulberry32(o.seed);
  const per = o.methods.map(() => ({ sens: new Float64Array(o.draws), spec: new Float64Array(o.draws), threshold: 0, kept: 0 }));
  const site = new Int32Array(o.siteSize);
  const siteScores = new Float64Array(o.siteSize);
  const siteLabels = new Uint8Array(o.siteSize);
  const heldOut = { positives: positives.length - sitePositives, negatives: negatives.length - siteNegatives };
  const heldScores = new Float64Array(heldOut.positives + heldOut.negatives);
  const heldLabels = new Uint8Array(heldScores.length);
  for (let d = 0; d < o.draws; d++) {
    // A partial Fisher-Yates shuffle of each class: its first k entries are a uniform k-subset.
    pickFirst(positives, sitePositives, random);
    pickFirst(negatives, siteNegatives, random);
    let s = 0;
    let h = 0;
    const place = (idx: number[], k: number) =>
      idx.forEach((i, j) => {
        if (j < k) site[s++] = i;
        else {
          heldScores[h] = scores[i]!;
          heldLabels[h++] = labels[i]!;
        }
      });
    place(positives, sitePositives);
    place(negatives, siteNegatives);
    site.forEach((i, j) => {
      siteScores[j] = scores[i]!;
      siteLabels[j] = labels[i]!;
    });
    o.methods.forEach((method, m) => {
      const { threshold } = chooseThreshold(siteScores, siteLabels, { method, target: o.target, confidence: o.confidence });
      const c = confusionAt(heldScores, heldLabels, threshold);
      const r = per[m]!;
      r.sens[d] = sensitivity(c);
      r.spec[d] = specificity(c);
      r.threshold += threshold;
      if (r.sens[d]! >= o.target) r.kept++;
    });
  }
  return {
    images: labels.length,
    positives: positives.length,
    site: { positives: sitePositives, negatives: siteNegatives },
    heldOut,
    draws: o.draws,
    results: o.methods.map((method, m) => {
      const r = per[m]!;
      return {
        method,
        kept: r.kept / o.draws,
        meanSensitivity: mean(r.sens),
        p5Sensitivity: r.sens.sort()[Math.floor(0.05 * (o.draws - 1))]!,
        meanSpecificity: mean(r.spec),
        meanThreshold: r.threshold / o.draws,
      };
    }),
  };
}

export interface MethodOnWhole {
  method: ThresholdMethod;
  threshold: number;
  /** Measured on the very images the threshold was chosen on. */
  sensitivity: number;
  specificity: number;
}

/** Each method's threshold chosen on a whole source, and what it gives on that source itself. */
export function methodsOnWhole(
  scores: Scores,
  labels: Labels,
  methods: readonly ThresholdMethod[],
  rule: Omit<ThresholdRule, 'method'>,
): MethodOnWhole[] {
  return methods.map((method) => {
    const { threshold } = chooseThreshold(scores, labels, { ...rule, method });
    const c = confusionAt(scores, labels, threshold);
    return { method, threshold, sensitivity: sensitivity(c), specificity: specificity(c) };
  });
}

function pickFirst(items: number[], k: number, random: () => number): void {
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (items.length - i));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function mean(xs: Float64Array): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
