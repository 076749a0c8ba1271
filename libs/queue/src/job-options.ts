import type { JobsOptions } from 'bullmq';

const DAY_S = 24 * 3600;

/** Image jobs retry transient failures (S3 hiccups, a worker crash); an unreadable image is not a
 * failure but a per-image error in the result. A child that still fails is recorded on its study
 * instead of blocking it forever. */
export const imageJobOptions: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  ignoreDependencyOnFailure: true,
  removeOnComplete: { age: DAY_S },
  removeOnFail: { age: 7 * DAY_S },
};

export const studyJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * DAY_S },
  removeOnFail: false,
};

/** Exhausted deliveries stay in the failed set: that set is the dead-letter list. */
export function webhookJobOptions(maxAttempts: number): JobsOptions {
  return {
    attempts: maxAttempts,
    backoff: { type: 'webhook' },
    removeOnComplete: { age: 30 * DAY_S },
    removeOnFail: false,
  };
}

/** A label is small and precious: retried until stored, kept a while for audit. */
export const feedbackJobOptions: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * DAY_S },
  removeOnFail: false,
};

/** A retrain is not retried on failure: the operator reads why and asks again. Finished jobs stay
 * a month so `retrain` can show the last results. */
export const retrainJobOptions: JobsOptions = {
  attempts: 1,
  removeOnComplete: { age: 30 * DAY_S },
  removeOnFail: { age: 30 * DAY_S },
};
