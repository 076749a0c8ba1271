import { Queue } from 'bullmq';
import type { AppConfig } from '@pneumoscreen/config';
import { JobName, QueueName, webhookJobId, webhookMessageId, type ChannelPointer, type ModelRolledOutEvent } from '@pneumoscreen/contracts';
import { publishChannelNotice, webhookJobOptions } from '@pneumoscreen/queue';
import { resolveEndpoints } from '@pneumoscreen/webhooks';
import { connectRedis } from './redis-connection';

export interface ChannelChange {
  action: ModelRolledOutEvent['data']['action'];
  model: string;
  channel: string;
  pointer: ChannelPointer;
}

/**
 * Announces a channel change: a pub/sub notice so workers and ingest switch within seconds, and a
 * `model.rolled_out` webhook, through the webhook queue like every other event, to the endpoints
 * that take it. The webhook id derives from the change (model, channel, its time), so announcing
 * the same change twice queues each delivery once. Returns how many deliveries were queued.
 */
export async function announceChannelChange(config: AppConfig, change: ChannelChange, warn: (text: string) => void): Promise<number> {
  const { model, channel, pointer } = change;
  const connection = await connectRedis(config.redis.url);
  const queue = new Queue(QueueName.webhook, { connection, prefix: config.redis.prefix });
  try {
    await publishChannelNotice(connection, config.redis.prefix, { model, channel, version: pointer.version });
    const urls = resolveEndpoints({ type: 'model.rolled_out' }, config.webhooks);
    if (urls.length && config.webhooks.secrets.length === 0) {
      warn('a model.rolled_out webhook is due but WEBHOOK_SECRET is not set; unsigned webhooks are never sent\n');
      return 0;
    }
    const event: ModelRolledOutEvent = {
      type: 'model.rolled_out',
      timestamp: pointer.updatedAt,
      data: { action: change.action, model, channel, version: pointer.version, previousVersion: pointer.previousVersion, fraction: pointer.fraction },
    };
    const messageId = webhookMessageId(event.type, `${model}/${channel}/${pointer.updatedAt}`);
    const body = JSON.stringify(event);
    for (const url of urls) {
      await queue.add(JobName.deliverWebhook, { messageId, url, body }, { ...webhookJobOptions(config.webhooks.maxAttempts), jobId: webhookJobId(messageId, url) });
    }
    return urls.length;
  } finally {
    await queue.close();
    await connection.quit();
  }
}
