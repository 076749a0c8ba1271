import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import { newMessageId, QueueName, WebhookJobData, webhookJobId } from '@pneumoscreen/contracts';
import { createRedisConnection, redisOptionsFromUrl } from '@pneumoscreen/queue';
import { startWebhookReceiver, type ReceiverResponse, type WebhookReceiver } from '@pneumoscreen/testing';
import { RedisEndpointStatus } from '@pneumoscreen/webhooks';
import { BullWebhookOutbox } from '../finalise/webhook-outbox';
import { AdaptersModule } from '../adapters.module';
import { METRICS_REGISTRY, REDIS } from '../tokens';
import { WebhookPoolModule } from './webhook-pool.module';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const secret = (fill: number) => 'whsec_' + Buffer.alloc(32, fill).toString('base64');

/** Loopback receivers need WEBHOOK_ALLOW_PRIVATE; the schedule is shortened to milliseconds so
 * the real worker's retries finish within a test, with no jitter to blur the gaps. */
export const FAST_RETRIES = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '0,100ms',
  WEBHOOK_RETRY_JITTER: '0',
  WEBHOOK_MAX_ATTEMPTS: '4',
  WEBHOOK_TIMEOUT_MS: '300',
};

export interface WebhookPool {
  config: AppConfig;
  queue: Queue;
  endpoints: RedisEndpointStatus;
  /** Queues a small study event for `url` as the finaliser would; returns the job id. */
  send(url: string, studyId?: string, tenantId?: string): Promise<string>;
  /** The job once it is completed or failed. */
  settled(jobId: string, timeoutMs?: number): Promise<{ state: string; job: Job; data: WebhookJobData }>;
  receiver(secrets: readonly string[], respond?: (n: number) => ReceiverResponse): Promise<WebhookReceiver>;
  /** The worker's Prometheus metrics, as GET /metrics serves them. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/** The worker's real `webhook` pool (Nest, BullMQ, Redis) under a key prefix of its own, wired
 * as WorkerModule wires it but without the classify pool's model. */
export async function startWebhookPool(env: Record<string, string>): Promise<WebhookPool> {
  const prefix = `{pstest-webhooks-${randomUUID()}}`;
  // Loopback receivers stand for study callbacks, signed with WEBHOOK_SECRET, unless the test
  // configures tenants of its own.
  const callbacks = env.TENANTS ? {} : { CALLBACK_HOSTS: '127.0.0.1,localhost' };
  const config = loadConfig({ REDIS_URL, REDIS_PREFIX: prefix, WORKER_POOLS: 'webhook', ...callbacks, ...env });
  @Module({ imports: [AdaptersModule.register(config), WebhookPoolModule] })
  class WebhookWorker {}
  const app = await NestFactory.createApplicationContext(WebhookWorker, { logger: false });
  const workerRedis = app.get<Redis>(REDIS);
  const redis = createRedisConnection(REDIS_URL, 'producer');
  const queue = new Queue(QueueName.webhook, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
  const outbox = new BullWebhookOutbox(queue, config.webhooks.maxAttempts);
  const receivers: WebhookReceiver[] = [];

  return {
    config,
    queue,
    endpoints: new RedisEndpointStatus(redis, prefix),
    async send(url, studyId = `st-${randomUUID().slice(0, 8)}`, tenantId = 'default') {
      const messageId = newMessageId();
      const body = JSON.stringify({ type: 'study.completed', timestamp: new Date().toISOString(), data: { studyId, decision: 'NORMAL' } });
      await outbox.enqueue({ messageId, tenantId, url, body });
      return webhookJobId(messageId, url);
    },
    async settled(jobId, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // State first, then the job: a job read before it settles carries no failedReason even
        // when the state read just after it already says failed.
        const state = await queue.getJobState(jobId);
        const job = state === 'completed' || state === 'failed' ? await Job.fromId(queue, jobId) : undefined;
        if (job) return { state, job, data: WebhookJobData.parse(job.data) };
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async receiver(secrets, respond) {
      const r = await startWebhookReceiver({ secrets, respond: respond && ((_req, n) => respond(n)) });
      receivers.push(r);
      return r;
    },
    metrics: () => app.get<Registry>(METRICS_REGISTRY).metrics(),
    async close() {
      await app.close();
      await workerRedis.quit();
      await Promise.all(receivers.map((r) => r.close()));
      await queue.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}
