/** Every queue and job name the system uses, defined once. Workers check at start-up that each
 * job name they consume has exactly one handler (see `assertHandlersCoverJobs`). */
export const QueueName = {
  image: 'pneumoscreen-image',
  study: 'pneumoscreen-study',
  webhook: 'pneumoscreen-webhook',
  feedback: 'pneumoscreen-feedback',
  training: 'pneumoscreen-training',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  classifyImage: 'classify-image',
  finaliseStudy: 'finalise-study',
  deliverWebhook: 'deliver-webhook',
  recordFeedback: 'record-feedback',
  retrain: 'retrain',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Which job names live on which queue. */
export const JobsByQueue: Record<QueueName, readonly JobName[]> = {
  [QueueName.image]: [JobName.classifyImage],
  [QueueName.study]: [JobName.finaliseStudy],
  [QueueName.webhook]: [JobName.deliverWebhook],
  [QueueName.feedback]: [JobName.recordFeedback],
  [QueueName.training]: [JobName.retrain],
};

/** Fails start-up when a queue's job names and a process's handlers disagree, so a job can never
 * sit in a queue that nothing consumes, nor two handlers race for it. */
export function assertHandlersCoverJobs(queue: QueueName, handled: readonly string[]): void {
  const expected = JobsByQueue[queue];
  const missing = expected.filter((name) => !handled.includes(name));
  const dupes = handled.filter((name, i) => handled.indexOf(name) !== i);
  const unknown = handled.filter((name) => !(expected as readonly string[]).includes(name));
  if (missing.length || dupes.length || unknown.length) {
    throw new Error(
      `queue ${queue}: handlers do not match its jobs` +
        (missing.length ? `; no handler for ${missing.join(', ')}` : '') +
        (dupes.length ? `; several handlers for ${dupes.join(', ')}` : '') +
        (unknown.length ? `; handlers for unknown jobs ${unknown.join(', ')}` : ''),
    );
  }
}
