import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import { CONFIG } from '../tokens';
import { PushToPacsProcessor } from './push-to-pacs.processor';
import { PACS_PUBLISHER, PushToPacsUseCase } from './push-to-pacs.use-case';
import { StowRsPublisher } from './stow-rs';

/** Runs beside the webhook pool when DICOMWEB_STOW_URL is set: both deliver outwards. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.pacs })],
  providers: [
    PushToPacsUseCase,
    PushToPacsProcessor,
    { provide: PACS_PUBLISHER, inject: [CONFIG], useFactory: (c: AppConfig) => new StowRsPublisher(c.pacs!) },
  ],
})
export class PacsPoolModule {}
