/** Every queue and job name the system uses, defined once. Which job lives on which queue, with
 * its payload schema and options, is the job catalog (`JOBS` in libs/queue). */
export const QueueName = {
  image: 'pneumoscreen-image',
  study: 'pneumoscreen-study',
  webhook: 'pneumoscreen-webhook',
  feedback: 'pneumoscreen-feedback',
  training: 'pneumoscreen-training',
  pacs: 'pneumoscreen-pacs',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  classifyImage: 'classify-image',
  finaliseStudy: 'finalise-study',
  deliverWebhook: 'deliver-webhook',
  recordFeedback: 'record-feedback',
  retrain: 'retrain',
  pushToPacs: 'push-to-pacs',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];
