import { UnrecoverableError, type JobsOptions } from 'bullmq';
import type { z } from 'zod';
import {
  FeedbackJobData,
  ImageJobData,
  JobName,
  PacsJobData,
  QueueName,
  RetrainJobData,
  StudyJobData,
  WebhookJobData,
} from '@pneumoscreen/contracts';
import { feedbackJobOptions, imageJobOptions, pacsJobOptions, retrainJobOptions, studyJobOptions, webhookJobOptions } from './job-options';

interface JobEntry {
  queue: QueueName;
  /** What a job's data must parse as; a payload that does not can never succeed. */
  schema: z.ZodTypeAny;
  /** Producers add the job with these (webhooks, PACS pushes: for the configured number of attempts). */
  options: JobsOptions | ((maxAttempts: number) => JobsOptions);
}

/** Every job of the system, once: its queue, its payload and how producers add it. */
export const JOBS = {
  [JobName.classifyImage]: { queue: QueueName.image, schema: ImageJobData, options: imageJobOptions },
  [JobName.finaliseStudy]: { queue: QueueName.study, schema: StudyJobData, options: studyJobOptions },
  [JobName.deliverWebhook]: { queue: QueueName.webhook, schema: WebhookJobData, options: webhookJobOptions },
  [JobName.recordFeedback]: { queue: QueueName.feedback, schema: FeedbackJobData, options: feedbackJobOptions },
  [JobName.retrain]: { queue: QueueName.training, schema: RetrainJobData, options: retrainJobOptions },
  [JobName.pushToPacs]: { queue: QueueName.pacs, schema: PacsJobData, options: pacsJobOptions },
} as const satisfies { [N in JobName]: JobEntry };

/** The parsed data of a job. */
export type JobData<N extends JobName> = z.output<(typeof JOBS)[N]['schema']>;

/** The jobs that live on queue Q. */
export type JobsOn<Q extends QueueName> = { [N in JobName]: (typeof JOBS)[N]['queue'] extends Q ? N : never }[JobName];

export function jobsOn(queue: QueueName): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
}

/** Fails start-up when a queue's job names and a process's handlers disagree, so a job can never
 * sit in a queue that nothing consumes, nor two handlers race for it. */
export function assertHandlersCoverJobs(queue: QueueName, handled: readonly string[]): void {
  const expected: readonly string[] = jobsOn(queue);
  const missing = expected.filter((name) => !handled.includes(name));
  const dupes = handled.filter((name, i) => handled.indexOf(name) !== i);
  const unknown = handled.filter((name) => !expected.includes(name));
  if (missing.length || dupes.length || unknown.length) {
    throw new Error(
      `queue ${queue}: handlers do not match its jobs` +
        (missing.length ? `; no handler for ${missing.join(', ')}` : '') +
        (dupes.length ? `; several handlers for ${dupes.join(', ')}` : '') +
        (unknown.length ? `; handlers for unknown jobs ${unknown.join(', ')}` : ''),
    );
  }
}

/** A job's data, parsed by its catalog schema. A payload that does not parse stays unparseable
 * however often it is tried: it fails at once (UnrecoverableError) instead of spending its retries.
 * The message names the field, never the value, which may be patient data. */
export function parseJob<N extends JobName>(name: N, data: unknown): JobData<N> {
  const r = JOBS[name].schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UnrecoverableError(`invalid ${name} payload: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data as JobData<N>;
}
