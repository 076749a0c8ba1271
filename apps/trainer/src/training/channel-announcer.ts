import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@pneumoscreen/queue';
import type { AppConfig } from '@pneumoscreen/config';
import { announceChannelChange, type ChannelChange } from '@pneumoscreen/webhooks';
import type { ChannelAnnouncer } from './retrain.use-case';

/** Announces channel moves the way `pneumoscreen models promote` does: a pub/sub notice and a
 * `model.rolled_out` webhook through the webhook queue. */
export class RedisChannelAnnouncer implements ChannelAnnouncer, OnModuleDestroy {
  private readonly log = new Logger(RedisChannelAnnouncer.name);

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisClient,
    private readonly webhookQueue: Queue,
  ) {}

  async announce(change: ChannelChange): Promise<void> {
    const { redis, webhooks, tenants } = this.config;
    const targets = {
      redis: this.redis,
      redisPrefix: redis.prefix,
      webhookQueue: this.webhookQueue,
      tenants,
      maxAttempts: webhooks.maxAttempts,
    };
    const queued = await announceChannelChange(targets, change, (text) => this.log.warn(text.trim()));
    this.log.log(`${change.channel} -> ${change.pointer.version} announced; model.rolled_out queued for ${queued} endpoint(s)`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
