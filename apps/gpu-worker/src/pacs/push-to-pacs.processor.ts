import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import { JobName, QueueName, type PacsDeliveryStatus, type PacsJobData } from '@pneumoscreen/contracts';
import { QueueProcessor, pacsWorkerOptions, type JobHandlers } from '@pneumoscreen/queue';
import { PushToPacsUseCase } from './push-to-pacs.use-case';

/**
 * Pushes a study's SR and Secondary Captures to the PACS. A transient failure throws, and BullMQ
 * tries again on the job's exponential backoff; a refusal (4xx, failed instances) and the last
 * failed attempt end the job failed, with the outcome written beside the result. Logs name the
 * study id and statuses only: the PACS URL may carry a path token, the objects patient data.
 */
@Processor(QueueName.pacs, pacsWorkerOptions)
export class PushToPacsProcessor extends QueueProcessor<typeof QueueName.pacs> implements OnApplicationBootstrap {
  private readonly log = new Logger(PushToPacsProcessor.name);
  protected readonly handlers: JobHandlers<typeof QueueName.pacs> = { [JobName.pushToPacs]: (data, job) => this.push(data, job) };

  constructor(private readonly useCase: PushToPacsUseCase) {
    super(QueueName.pacs);
  }

  onApplicationBootstrap() {
    // A push is one request of a few megabytes; a handful in flight keeps a PACS busy enough.
    this.worker.concurrency = 4;
  }

  private async push(data: PacsJobData, job: Job): Promise<PacsDeliveryStatus> {
    const attempt = job.attemptsMade + 1;
    const { outcome, final, status } = await this.useCase.execute(data, attempt, attempt >= (job.opts.attempts ?? 1));
    const where = `PACS push of study ${data.studyId}`;
    if (!final) {
      const reason = outcome.kind === 'retry' ? outcome.reason : outcome.kind;
      this.log.warn(`${where}: attempt ${attempt} failed (${reason}); tried again later`);
      throw new Error(`${where}: ${reason}`);
    }
    if (status!.status === 'delivered') {
      this.log.log(`${where}: ${status!.sent} instance(s) stored (HTTP ${status!.httpStatus})`);
      return status!;
    }
    this.log.error(`${where} failed: ${status!.reason} (${data.statusKey})`);
    throw new UnrecoverableError(`${where}: ${status!.reason}`);
  }
}
