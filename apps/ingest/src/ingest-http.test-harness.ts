import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import type { SnsTransport } from '@pneumoscreen/storage';
import type { S3Server } from '@pneumoscreen/testing';
import { configureHttp } from './http-setup';
import { IngestModule } from './ingest.module';
import { ingestTestEnv } from './ingest.test-harness';

/** The bearer token of POST /v1/s3-events in an ingest configured by ingestHttpConfig. */
export const TEST_S3_EVENTS_TOKEN = 'an-s3-events-token-000001';

/**
 * The config of an ingest served over HTTP in a test: ingestTestEnv's Redis and S3, no reconciler
 * timer, and a study-id key set, so start-up needs no Redis round trip before the connection is
 * up. `env` adds to it or overrides it.
 */
export function ingestHttpConfig(s3: S3Server, prefix: string, bucket: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    ...ingestTestEnv(s3, prefix, bucket),
    RECONCILE_INTERVAL_MS: '0',
    STUDY_ID_KEY: 'a-study-id-key-for-this-test-only-0001',
    S3_EVENTS_TOKEN: TEST_S3_EVENTS_TOKEN,
    ...env,
  });
}

export interface IngestHttp {
  readonly url: string;
  /** Closes the app and deletes every Redis key under its prefix. */
  close(): Promise<void>;
}

/** Ingest's HTTP API as main.ts serves it, on a free loopback port, answering before it returns. */
export async function listenIngest(config: AppConfig, sns?: SnsTransport): Promise<IngestHttp> {
  const app = await NestFactory.create<NestExpressApplication>(IngestModule.register(config, sns), { logger: false, abortOnError: false });
  configureHttp(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // Producer connections fail fast rather than queue commands: wait until Redis is connected.
  while ((await fetch(`${url}/health`)).status !== 200) await new Promise((r) => setTimeout(r, 20));
  return {
    url,
    async close() {
      await app.close();
      const redis = new Redis(config.redis.url);
      const keys = await redis.keys(`${config.redis.prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}
