import { Processor, WorkerHost } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { FeedbackJobData, JobName, QueueName, assertHandlersCoverJobs, parseJobData } from '@pneumoscreen/contracts';
import { RecordFeedbackUseCase } from './record-feedback.use-case';

/** Consumes labels that ingest accepted and queued. */
@Processor(QueueName.feedback)
export class RecordFeedbackProcessor extends WorkerHost {
  private readonly handlers = { [JobName.recordFeedback]: (job: Job) => this.record(job) };

  constructor(private readonly useCase: RecordFeedbackUseCase) {
    super();
    assertHandlersCoverJobs(QueueName.feedback, Object.keys(this.handlers));
  }

  async process(job: Job): Promise<{ written: boolean }> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    return handler(job);
  }

  private async record(job: Job): Promise<{ written: boolean }> {
    let label: FeedbackJobData;
    try {
      label = parseJobData(FeedbackJobData, JobName.recordFeedback, job.data);
    } catch (e) {
      // A malformed payload stays malformed: straight to the failed set, where it is kept.
      throw new UnrecoverableError((e as Error).message);
    }
    return this.useCase.execute(label);
  }
}
