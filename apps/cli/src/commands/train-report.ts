import type { ModelManifest } from '@pneumoscreen/contracts';
import type { ThresholdMethodRow } from '@pneumoscreen/training';

/** Each metrics key of a new version at its own threshold. */
export function metricLines(manifest: ModelManifest): string[] {
  return Object.entries(manifest.metrics).map(
    ([key, m]) =>
      `${key} (n=${m.n}): AUC ${m.auc.toFixed(4)}, sensitivity ${m.sensitivity.toFixed(4)}, ` +
      `specificity ${m.specificity.toFixed(4)}, accuracy ${m.accuracy.toFixed(4)}, threshold ${m.threshold.toFixed(4)}`,
  );
}

/** What each threshold method would have chosen on validation, the one used marked with `*`: what
 * a surer promise of the target sensitivity costs in specificity. */
export function thresholdMethodLines(manifest: ModelManifest, rows: ThresholdMethodRow[]): string[] {
  const rule = manifest.thresholdRule;
  const header = ['method', 'threshold', 'sensitivity', 'specificity', 'promise'];
  const cells = rows.map((r) => [
    `${r.used ? '*' : ' '} ${r.method}`,
    r.threshold.toFixed(4),
    r.sensitivity.toFixed(4),
    r.specificity.toFixed(4),
    r.promiseConfidence.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [
    rule
      ? `threshold: ${rule.method} at confidence ${rule.confidence} for sensitivity ${rule.targetSensitivity} on validation ` +
        `(promise: P(sensitivity >= ${rule.targetSensitivity}) on the next images, distribution-free)`
      : 'threshold:',
    fmt(header),
    ...cells.map(fmt),
  ];
}
