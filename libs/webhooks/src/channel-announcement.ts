import type { Queue } from 'bullmq';
import type { RedisClient } from '@pneumoscreen/queue';
import { JobName, webhookJobId, webhookMessageId, type ChannelPointer, type ModelRolledOutEvent } from '@pneumoscreen/contracts';
import { JOBS, publishChannelNotice } from '@pneumoscreen/queue';
import { endpointKey, resolveEndpoints, type WebhookEndpoint } from './endpoints';

export interface ChannelChange {
  action: ModelRolledOutEvent['data']['action'];
  model: string;
  channel: string;
  pointer: ChannelPointer;
}

/** A tenant's endpoints, each with the secrets that sign it (a `TenantConfig` of the config). */
export interface AnnouncementTenant {
  id: string;
  endpoints: ReadonlyArray<WebhookEndpoint & { secrets: readonly string[] }>;
  fallback?: { url: string; secrets: readonly string[] };
}

/** Where a channel change is announced: the deployment's Redis (REDIS_PREFIX) and its webhook
 * queue, with the tenants whose endpoints may take it. */
export interface AnnouncementTargets {
  redis: RedisClient;
  redisPrefix: string;
  webhookQueue: Queue;
  tenants: readonly AnnouncementTenant[];
  maxAttempts: number;
}

/**
 * Announces a channel change: a pub/sub notice so workers and ingest switch within seconds, and a
 * `model.rolled_out` webhook, through the webhook queue like every other event, to the endpoints
 * that take it. The webhook id derives from the change (model, channel, its time), so announcing
 * the same change twice queues each delivery once. Returns how many deliveries were queued.
 */
export async function announceChannelChange(
  targets: AnnouncementTargets,
  change: ChannelChange,
  warn: (text: string) => void,
): Promise<number> {
  const { model, channel, pointer } = change;
  await publishChannelNotice(targets.redis, targets.redisPrefix, { model, channel, version: pointer.version });
  const event: ModelRolledOutEvent = {
    type: 'model.rolled_out',
    timestamp: pointer.updatedAt,
    data: {
      action: change.action,
      model,
      channel,
      version: pointer.version,
      previousVersion: pointer.previousVersion,
      fraction: pointer.fraction,
    },
  };
  const body = JSON.stringify(event);
  let queued = 0;
  for (const tenant of targets.tenants) {
    const urls = resolveEndpoints({ type: 'model.rolled_out' }, { endpoints: tenant.endpoints, defaultUrl: tenant.fallback?.url }).urls;
    const signed = urls.filter((url) => secretsOf(tenant, url).length);
    if (signed.length < urls.length)
      warn(
        `a model.rolled_out webhook is due for tenant ${tenant.id} but no secret is configured for ${urls.length - signed.length} endpoint(s); unsigned webhooks are never sent\n`,
      );
    // Per tenant: one URL may serve two tenants, each with its own secret and job.
    const messageId = webhookMessageId(event.type, `${tenant.id}/${model}/${channel}/${pointer.updatedAt}`);
    for (const url of signed) {
      const data = { messageId, tenantId: tenant.id, url, body };
      await targets.webhookQueue.add(JobName.deliverWebhook, data, {
        ...JOBS[JobName.deliverWebhook].options(targets.maxAttempts),
        jobId: webhookJobId(messageId, url),
      });
      queued++;
    }
  }
  return queued;
}

function secretsOf(tenant: AnnouncementTenant, url: string): readonly string[] {
  const key = endpointKey(url);
  const endpoint = tenant.endpoints.find((e) => endpointKey(e.url) === key);
  return endpoint?.secrets ?? (tenant.fallback && endpointKey(tenant.fallback.url) === key ? tenant.fallback.secrets : []);
}
