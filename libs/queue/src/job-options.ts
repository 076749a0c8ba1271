import type { JobsOptions } from 'bullmq';

const DAY_S = 24 * 3600;

/** Image jobs retry transient failures; an unreadable image is not a failure but a per-image
 * error in the result, so what fails a job is the S3 store or Redis being away. Retries therefore
 * span about two minutes (1, 2, 4 ... 64 s): with three attempts (3 s), a 10 s S3 outage turned
 * images into "failed after retries" in the studies' results. A child that still fails is recorded
 * on its study instead of blocking it forever. */
export const imageJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  ignoreDependencyOnFailure: true,
  removeOnComplete: { age: DAY_S },
  removeOnFail: { age: 7 * DAY_S },
};

/**
 * How many times a job may be taken back from a worker that died holding it (its lock lapsed:
 * SIGKILL, OOM, a lost host) before BullMQ fails it. A crash spends no attempt, so without this
 * bound an image that kills whatever decodes it (a decompression bomb past every cap) would take
 * down each worker in turn for ever. Two lets an image ride out one worker crash and one more (a
 * rolling restart on top of it); a third death fails the job, and the study reports that image as
 * failed while every other image completes. BullMQ's default of 1 failed images on the second
 * crash. Finalising and webhooks decode nothing, so a death there is the host's fault: five.
 * The image pool starts paused (`autorun: false`): it takes its first job once its model is loaded
 * and warm (ClassifyImageProcessor), so a job is never held by a worker that cannot score it yet.
 */
export const imageWorkerOptions = { maxStalledCount: 2, autorun: false } as const;
export const studyWorkerOptions = { maxStalledCount: 5 } as const;
export const webhookWorkerOptions = { maxStalledCount: 5 } as const;
export const pacsWorkerOptions = { maxStalledCount: 5 } as const;

/** Finalising writes the result to S3 and queues the webhook; a study whose job runs out of
 * attempts gets no result at all, so its retries span about four minutes (2, 4 ... 128 s). */
export const studyJobOptions: JobsOptions = {
  attempts: 8,
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

/** A PACS push is retried on 5xx, network errors and timeouts (1, 2, 4 ... s: the default ten
 * attempts span about eight and a half minutes, enough for a PACS restart); a 4xx is final. Finished pushes stay a month, failed ones until an operator removes them. */
export function pacsJobOptions(maxAttempts: number): JobsOptions {
  return {
    attempts: maxAttempts,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 30 * DAY_S },
    removeOnFail: false,
  };
}
