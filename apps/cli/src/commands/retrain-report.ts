import type { RetrainProgress, RetrainResult } from '@pneumoscreen/contracts';
import { bar, liveLine, type Output } from './live-line';
import { duration } from './train-progress';

/**
 * Renders a retrain job's progress events: on a TTY one live line redrawn in place, with each
 * phase change and each finished epoch kept as a line of its own; elsewhere plain lines only.
 */
export function retrainReporter(out: Output, now: () => number = Date.now): (p: RetrainProgress) => void {
  const output = liveLine(out, now);
  let lastKey = '';
  let lastEpoch = '';

  return (p) => {
    const key = `${p.phase}/${p.stage ?? ''}`;
    const text = progressLine(p);
    // A finished epoch shows up as the first event of the next one: keep the epoch's last line.
    const epoch = p.epoch === undefined ? '' : `${key}#${p.epoch}`;
    if (key !== lastKey || (epoch && lastEpoch && epoch !== lastEpoch)) output.keep(text);
    else output.update(text);
    lastKey = key;
    lastEpoch = epoch;
  };
}

export function progressLine(p: RetrainProgress): string {
  const parts = [`[${p.stage ? `${p.phase} ${p.stage}` : p.phase}]`];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.maxEpochs ? `/${p.maxEpochs}` : ''}`);
  if (p.done !== undefined && p.total) parts.push(`${bar(p.done / p.total)} ${p.done}/${p.total}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.valAuc !== undefined) parts.push(`val AUC ${p.valAuc.toFixed(4)}`);
  if (p.etaSeconds !== undefined) parts.push(`~${duration(p.etaSeconds * 1000)} left`);
  parts.push(`| ${p.message}`);
  return parts.join(' ');
}

/** The comparison table, the gate's verdict and what the policy did. */
export function resultReport(r: RetrainResult): string {
  const header = ['model', 'version', 'set', 'n', 'accuracy', 'sensitivity', 'specificity', 'AUC', 'threshold'];
  const rows = r.comparison.map((m) => [
    m.model,
    m.version,
    m.set,
    String(m.n),
    m.accuracy.toFixed(4),
    m.sensitivity.toFixed(4),
    m.specificity.toFixed(4),
    m.auc.toFixed(4),
    m.threshold.toFixed(4),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const d = r.data;
  const lines = [
    `candidate ${r.candidateVersion} (parent ${r.productionVersion ?? 'none'}) in ${duration(r.seconds * 1000)}`,
    `data: ${d.baseImages} base images, ${d.feedbackTrainImages} feedback images trained on, ${d.feedbackHeldBackImages} held back; ` +
      `${d.newLabels} new labels, ${d.disagreements} disputed`,
    '',
    fmt(header),
    ...rows.map(fmt),
    '',
    r.gate.passed ? 'gate: passed' : `gate: FAILED\n${r.gate.reasons.map((x) => `  - ${x}`).join('\n')}`,
    actionLine(r),
  ];
  return lines.join('\n') + '\n';
}

function actionLine(r: RetrainResult): string {
  if (r.action === 'promoted') return `promoted: production now serves ${r.candidateVersion}`;
  if (r.action === 'canary') return `canary: ${r.candidateVersion} takes a share of new studies (PROMOTION_POLICY=canary)`;
  if (!r.gate.passed) return `production is untouched${r.productionVersion ? ` (${r.productionVersion})` : ''}`;
  return `published for review; promote it with: pneumoscreen models promote ${r.candidateVersion}`;
}
