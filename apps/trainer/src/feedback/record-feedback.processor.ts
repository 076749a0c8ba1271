import { Processor } from '@nestjs/bullmq';
import { JobName, QueueName } from '@pneumoscreen/contracts';
import { QueueProcessor, type JobHandlers } from '@pneumoscreen/queue';
import { RecordFeedbackUseCase } from './record-feedback.use-case';

/** Consumes labels that ingest accepted and queued; a malformed one goes straight to the failed
 * set (QueueProcessor), where it is kept. */
@Processor(QueueName.feedback)
export class RecordFeedbackProcessor extends QueueProcessor<typeof QueueName.feedback> {
  protected readonly handlers: JobHandlers<typeof QueueName.feedback> = {
    [JobName.recordFeedback]: (label) => this.useCase.execute(label),
  };

  constructor(private readonly useCase: RecordFeedbackUseCase) {
    super(QueueName.feedback);
  }
}
