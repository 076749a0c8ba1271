import type { ThresholdMethod, ValidationThresholdRule } from '@pneumoscreen/contracts';
import { binaryMetrics, chooseThreshold, THRESHOLD_METHODS, type Labels, type Scores } from '@pneumoscreen/evaluation';

/** What training asks of its validation threshold. */
export interface TrainingThresholdRule {
  targetSensitivity: number;
  method: ThresholdMethod;
  confidence: number;
}

/** One method's threshold on validation and what it costs there. */
export interface ThresholdMethodRow {
  method: ThresholdMethod;
  threshold: number;
  sensitivity: number;
  specificity: number;
  /** Distribution-free P(sensitivity >= target) on the next images (promiseConfidence). */
  promiseConfidence: number;
  /** The rule's method: the version's threshold. */
  used: boolean;
}

/** The threshold the rule chooses on these scores, and the rule as the manifest records it. */
export function validationThreshold(
  scores: Scores,
  labels: Labels,
  rule: TrainingThresholdRule,
): { threshold: number; rule: ValidationThresholdRule } {
  const { threshold, promiseConfidence } = chooseThreshold(scores, labels, {
    target: rule.targetSensitivity,
    method: rule.method,
    confidence: rule.confidence,
  });
  return { threshold, rule: { ...rule, promiseConfidence } };
}

/** Every method at the rule's target and confidence, so the report shows what the one used buys
 * in promise and costs in specificity. A target of 1 can only be kept on the sample (empirical). */
export function thresholdMethodTable(scores: Scores, labels: Labels, rule: TrainingThresholdRule): ThresholdMethodRow[] {
  return THRESHOLD_METHODS.filter((method) => rule.targetSensitivity < 1 || method === 'empirical').map((method) => {
    const { threshold, rule: chosen } = validationThreshold(scores, labels, { ...rule, method });
    const m = binaryMetrics(scores, labels, threshold);
    return {
      method,
      threshold,
      sensitivity: m.sensitivity,
      specificity: m.specificity,
      promiseConfidence: chosen.promiseConfidence,
      used: method === rule.method,
    };
  });
}
