import type { Queue } from 'bullmq';
import { JobName, type FeedbackJobData } from '@pneumoscreen/contracts';
import { JOBS } from '@pneumoscreen/queue';

/** Hands a validated label to the trainer, which stores it. */
export interface FeedbackQueue {
  enqueue(job: FeedbackJobData): Promise<void>;
}

export class BullFeedbackQueue implements FeedbackQueue {
  constructor(private readonly queue: Queue) {}

  async enqueue(job: FeedbackJobData): Promise<void> {
    // The feedback id is the job id: a resubmitted job can never become a second record.
    await this.queue.add(JobName.recordFeedback, job, { ...JOBS[JobName.recordFeedback].options, jobId: job.feedbackId });
  }
}
