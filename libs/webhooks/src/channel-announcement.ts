import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobName, webhookJobId, webhookMessageId, type ChannelPointer, type ModelRolledOutEvent } from '@pneumoscreen/contracts';
import { publishChannelNotice, webhookJobOptions } from '@pneumoscreen/queue';
import { resolveEndpoints, type EndpointRouting } from './endpoints';

export interface ChannelChange {
  action: ModelRolledOutEvent['data']['action'];
  model: string;
  channel: string;
  pointer: ChannelPointer;
}

/** Where a channel change is announced: the deployment's Redis (REDIS_PREFIX) and its webhook
 * queue, with the webhook settings that choose and sign the deliveries. */
export interface AnnouncementTargets {
  redis: Redis;
  redisPrefix: string;
  webhookQueue: Queue;
  webhooks: EndpointRouting & { secrets: readonly string[]; maxAttempts: number };
}

/**
 * Announces a channel change: a pub/sub notice so workers and ingest switch within seconds, and a
 * `model.rolled_out` webhook, through the webhook queue like every other event, to the endpoints
 * that take it. The webhook id derives from the change (model, channel, its time), so announcing
 * the same change twice queues each delivery once. Returns how many deliveries were queued.
 */
export async function announceChannelChange(targets: AnnouncementTargets, change: ChannelChange, warn: (text: string) => void): Promise<number> {
  const { model, channel, pointer } = change;
  await publishChannelNotice(targets.redis, targets.redisPrefix, { model, channel, version: pointer.version });
  const urls = resolveEndpoints({ type: 'model.rolled_out' }, targets.webhooks);
  if (urls.length && targets.webhooks.secrets.length === 0) {
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
    await targets.webhookQueue.add(JobName.deliverWebhook, { messageId, url, body }, { ...webhookJobOptions(targets.webhooks.maxAttempts), jobId: webhookJobId(messageId, url) });
  }
  return urls.length;
}
