import type { Queue } from 'bullmq';
import { JobName, pacsJobId, type PacsJobData } from '@pneumoscreen/contracts';
import { JOBS } from '@pneumoscreen/queue';

export const PACS_OUTBOX = Symbol('PACS_OUTBOX');

/** Where a study's DICOM outputs wait for their push to the PACS. */
export interface PacsOutbox {
  enqueue(push: PacsJobData, completedAt: string): Promise<void>;
}

export class BullPacsOutbox implements PacsOutbox {
  constructor(
    private readonly queue: Queue,
    private readonly maxAttempts: number,
  ) {}

  async enqueue(push: PacsJobData, completedAt: string): Promise<void> {
    await this.queue.add(JobName.pushToPacs, push, {
      ...JOBS[JobName.pushToPacs].options(this.maxAttempts),
      jobId: pacsJobId(push.studyId, completedAt),
    });
  }
}
