import type { Proportion, SiteCalibration } from '@pneumoscreen/contracts';
import { textTable } from './text-table';

/** Where a calibration's labelled images came from. */
export interface SourceSummary {
  describe: string;
  /** Why images were left out, by reason. */
  skipped: Record<string, number>;
}

export interface CalibrationReport {
  calibration: SiteCalibration;
  versionThreshold: { threshold: number; sensitivity: Proportion; specificity: Proportion };
  source: SourceSummary;
  recordedAt: string;
  /** minPositives of the target and confidence. */
  neededPositives: number;
  /** More images of each class that would narrow its 95% interval to `intervalWidth`. */
  moreImagesNeeded: { intervalWidth: number; positives: number; negatives: number };
}

export function reportJson({
  calibration: c,
  versionThreshold: v,
  source,
  recordedAt,
  neededPositives,
  moreImagesNeeded,
}: CalibrationReport) {
  const ci = (p: Proportion) => ({ low: p.low, high: p.high });
  return {
    model: c.model,
    version: c.version,
    site: c.site,
    source: c.source,
    threshold: c.threshold,
    targetSensitivity: c.targetSensitivity,
    method: c.method,
    confidence: c.confidence,
    promiseConfidence: c.promiseConfidence,
    n: c.n,
    positives: c.sensitivity.of,
    negatives: c.specificity.of,
    // JSON has no Infinity: null says no number of positives is enough (a target of 1).
    positivesNeeded: Number.isFinite(neededPositives) ? neededPositives : null,
    fewPositives: c.fewPositives,
    sensitivity: c.sensitivity.value,
    sensitivityCi: ci(c.sensitivity),
    specificity: c.specificity.value,
    specificityCi: ci(c.specificity),
    moreImagesNeeded,
    auc: c.auc,
    versionThreshold: {
      threshold: v.threshold,
      sensitivity: v.sensitivity.value,
      sensitivityCi: ci(v.sensitivity),
      specificity: v.specificity.value,
      specificityCi: ci(v.specificity),
    },
    skipped: source.skipped,
    fittedAt: c.fittedAt,
    recordedAt,
  };
}

export function reportTable({
  calibration: c,
  versionThreshold: v,
  source,
  recordedAt,
  moreImagesNeeded: more,
}: CalibrationReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const p = (x: Proportion) => `${pct(x.value)} (${pct(x.low)}-${pct(x.high)}) ${x.count}/${x.of}`;
  const rows = [
    ['', 'site threshold', "version's threshold"],
    // Six places: scores crowd towards 1, where four would print a threshold below 1 as 1.0000.
    ['threshold', c.threshold.toFixed(6), v.threshold.toFixed(6)],
    ['sensitivity', p(c.sensitivity), p(v.sensitivity)],
    ['specificity', p(c.specificity), p(v.specificity)],
  ];
  const skipped = Object.entries(source.skipped).sort(([a], [b]) => a.localeCompare(b));
  return [
    `${c.model}@${c.version} calibrated for site ${c.site} on ${c.n} images (${c.sensitivity.of} PNEUMONIA, ${c.specificity.of} NORMAL), ${source.describe}`,
    ...(skipped.length ? [`left out: ${skipped.map(([why, n]) => `${n} ${why}`).join(', ')}`] : []),
    `target sensitivity ${pct(c.targetSensitivity)} with ${pct(c.confidence!)} confidence, threshold by ${c.method}; AUC ${c.auc.toFixed(4)}`,
    `promise confidence ${pct(c.promiseConfidence!)}: the chance, assuming nothing about the scores, that the site's next images keep the target`,
    ...(c.fewPositives ? ['FEW POSITIVES: fitted with --allow-few-positives on fewer PNEUMONIA images than the promise needs'] : []),
    '',
    ...textTable(rows),
    '',
    `95% Wilson intervals, measured on the images the threshold was chosen on. To narrow them to ${+(100 * more.intervalWidth).toFixed(2)} points`,
    `(at these proportions): ${more.positives} more PNEUMONIA images (sensitivity), ${more.negatives} more NORMAL (specificity)`,
    '',
    `recorded at ${recordedAt}: results of studies from ${c.site}, and eval ${c.version} --site ${c.site}, now decide at ${c.threshold.toFixed(6)}`,
    '',
  ].join('\n');
}
