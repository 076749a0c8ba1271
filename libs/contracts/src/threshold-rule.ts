import { z } from 'zod';

/** How a threshold is chosen for a target sensitivity. `empirical` keeps the target on the
 * sample only (about half the time on the next images); the others keep it with `confidence`. */
export const THRESHOLD_METHODS = ['empirical', 'order-statistic', 'bootstrap', 'binormal'] as const;
export const ThresholdMethod = z.enum(THRESHOLD_METHODS);
export type ThresholdMethod = z.infer<typeof ThresholdMethod>;

/** How a version's threshold was chosen on its validation split, and how sure it is to keep the
 * target sensitivity on the next images (`promiseConfidence`, distribution-free). */
export const ValidationThresholdRule = z.object({
  targetSensitivity: z.number().gt(0).max(1),
  method: ThresholdMethod,
  confidence: z.number().gt(0).lt(1),
  promiseConfidence: z.number().min(0).max(1),
});
export type ValidationThresholdRule = z.infer<typeof ValidationThresholdRule>;
