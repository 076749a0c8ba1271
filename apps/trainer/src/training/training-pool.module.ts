import { Logger, Module } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import { createRedisConnection, logOutages } from '@pneumoscreen/queue';
import { CONFIG } from '../tokens';
import { RedisChannelAnnouncer } from './channel-announcer';
import { RetrainProcessor } from './retrain.processor';
import { CHANNEL_ANNOUNCER, RetrainUseCase } from './retrain.use-case';

/** Registering the training queue starts @nestjs/bullmq's processor discovery; the webhook queue
 * is only produced to, for `model.rolled_out` when the policy moves a channel. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.training }, { name: QueueName.webhook })],
  providers: [
    RetrainUseCase,
    RetrainProcessor,
    {
      provide: CHANNEL_ANNOUNCER,
      inject: [CONFIG, getQueueToken(QueueName.webhook)],
      useFactory: (config: AppConfig, webhookQueue: Queue) =>
        new RedisChannelAnnouncer(
          config,
          logOutages(createRedisConnection(config.redis.url, 'producer', { connectionName: 'pneumoscreen-trainer-announcer' }), (l) =>
            new Logger('Redis').warn(l),
          ),
          webhookQueue,
        ),
    },
  ],
})
export class TrainingPoolModule {}
