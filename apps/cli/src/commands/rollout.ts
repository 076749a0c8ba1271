import { Queue } from 'bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';
import { announceChannelChange as announce, type ChannelChange } from '@pneumoscreen/webhooks';
import { connectRedis } from './redis-connection';

export type { ChannelChange } from '@pneumoscreen/webhooks';

/** Announces a channel change (see the webhooks lib) over a connection of this command's own.
 * Returns how many webhook deliveries were queued. */
export async function announceChannelChange(config: AppConfig, change: ChannelChange, warn: (text: string) => void): Promise<number> {
  const connection = await connectRedis(config.redis.url);
  const webhookQueue = new Queue(QueueName.webhook, { connection, prefix: config.redis.prefix });
  try {
    return await announce(
      {
        redis: connection,
        redisPrefix: config.redis.prefix,
        webhookQueue,
        tenants: config.tenants,
        maxAttempts: config.webhooks.maxAttempts,
      },
      change,
      warn,
    );
  } finally {
    await webhookQueue.close();
    await connection.quit();
  }
}
