import { z } from 'zod';
import { ModelName, ModelVersionId } from './registry';
import { ThresholdMethod } from './threshold-rule';

/** A site: where a version's threshold is fitted. Studies take their bucket's name as their site. */
export const SiteName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, 'must be 2-63 of a-z 0-9 . - (an S3 bucket name), starting with a letter or digit');
export type SiteName = z.infer<typeof SiteName>;

export const Proportion = z.object({
  value: z.number().min(0).max(1),
  /** 95% Wilson score interval. */
  low: z.number().min(0).max(1),
  high: z.number().min(0).max(1),
  /** successes of trials, e.g. true positives of positives. */
  count: z.number().int().min(0),
  of: z.number().int().min(0),
});
export type Proportion = z.infer<typeof Proportion>;

/** `models/<name>/calibrations/<version>/<site>.json`: a version's threshold for one site, kept
 * beside the immutable version. The newest fit for a site replaces the previous one. */
export const SiteCalibration = z.object({
  model: ModelName,
  version: ModelVersionId,
  site: SiteName,
  threshold: z.number().min(0).max(1),
  targetSensitivity: z.number().gt(0).max(1),
  n: z.number().int().positive(),
  sensitivity: Proportion,
  specificity: Proportion,
  auc: z.number(),
  source: z.enum(['data', 'feedback']),
  fittedAt: z.string().datetime(),
  /** The rule the threshold was chosen by; absent in calibrations fitted before there was a choice
   * (those are empirical: the highest threshold that keeps the target on the images). */
  method: ThresholdMethod.optional(),
  /** The confidence the rule aimed to keep the target sensitivity with on the site's next images. */
  confidence: z.number().gt(0).lt(1).optional(),
  /** Distribution-free P(sensitivity >= target on the next images) given these positives. */
  promiseConfidence: z.number().min(0).max(1).optional(),
  /** True when the operator calibrated on fewer positives than the promise needs (--allow-few-positives). */
  fewPositives: z.boolean().optional(),
});
export type SiteCalibration = z.infer<typeof SiteCalibration>;
