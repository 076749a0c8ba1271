import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { QueueName } from '@pneumoscreen/contracts';
import { RecordFeedbackProcessor } from './record-feedback.processor';
import { RecordFeedbackUseCase } from './record-feedback.use-case';

/** Stores readers' labels as ingest queues them; small enough to run always. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.feedback })],
  providers: [RecordFeedbackProcessor, RecordFeedbackUseCase],
})
export class FeedbackPoolModule {}
