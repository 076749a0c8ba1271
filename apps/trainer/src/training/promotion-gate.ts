import type { ComparedMetrics, RetrainResult } from '@pneumoscreen/contracts';

/** How far below the target sensitivity a candidate may measure at its own threshold: chosen on
 * the same validation images, it only misses the target through rounding of the exported model. */
export const SENSITIVITY_SLACK = 0.02;
/** Held-back feedback decides on AUC only with this many images of each class: with fewer, one
 * image moves the AUC by more than any margin worth enforcing. */
export const MIN_HELD_BACK_PER_CLASS = 10;

export interface GateInput {
  /** Every model measured on every set, each at its own threshold. */
  comparison: readonly ComparedMetrics[];
  /** Held-back feedback images of each class. */
  heldBack: { NORMAL: number; PNEUMONIA: number };
  targetSensitivity: number;
  maxAucDrop: number;
  /** Reasons found outside the comparison (a refused int8 model) that fail the gate too. */
  also?: readonly string[];
}

export type GateVerdict = RetrainResult['gate'];

/**
 * Whether a candidate may replace production. It fails when its validation AUC is lower than
 * production's by more than `maxAucDrop`, when its validation sensitivity at its own threshold is
 * below the target less SENSITIVITY_SLACK, or, given enough held-back feedback of both classes,
 * when its AUC there is lower than production's by more than `maxAucDrop`. Without a production
 * model only the sensitivity rule applies. Any reason in `also` fails it too. `reasons` says why
 * it failed.
 */
export function promotionGate(input: GateInput): GateVerdict {
  const { comparison, maxAucDrop, targetSensitivity } = input;
  const row = (model: ComparedMetrics['model'], set: ComparedMetrics['set']) => comparison.find((r) => r.model === model && r.set === set);
  const candidate = row('candidate', 'validation');
  if (!candidate) throw new Error('the comparison has no candidate row on the validation set');
  const reasons: string[] = [...(input.also ?? [])];
  const aucRule = (set: ComparedMetrics['set'], label: string) => {
    const c = row('candidate', set);
    const p = row('production', set);
    if (c && p && c.auc < p.auc - maxAucDrop) {
      reasons.push(
        `candidate's ${label} AUC ${c.auc.toFixed(4)} is ${(p.auc - c.auc).toFixed(4)} below production ${p.version}'s ${p.auc.toFixed(4)}, more than the allowed ${maxAucDrop}`,
      );
    }
  };
  aucRule('validation', 'validation');
  const floor = targetSensitivity - SENSITIVITY_SLACK;
  if (candidate.sensitivity < floor) {
    reasons.push(
      `candidate's validation sensitivity ${candidate.sensitivity.toFixed(4)} at its threshold ${candidate.threshold.toFixed(4)} is below ${floor.toFixed(4)} (target ${targetSensitivity} less ${SENSITIVITY_SLACK})`,
    );
  }
  if (Math.min(input.heldBack.NORMAL, input.heldBack.PNEUMONIA) >= MIN_HELD_BACK_PER_CLASS) aucRule('feedback', 'held-back feedback');
  return { passed: reasons.length === 0, reasons };
}
