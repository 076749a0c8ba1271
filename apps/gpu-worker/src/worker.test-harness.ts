import { randomUUID } from 'node:crypto';
import { Logger, type LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { startS3Server, type S3Server } from '@pneumoscreen/testing';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What a worker medium spec runs against: s3rver with its buckets and the shared Redis under a
 * prefix of the spec's own. */
export interface WorkerTestBed {
  s3: S3Server;
  store: S3ObjectStore;
  /** A connection of the spec's own, to read what the worker wrote. */
  redis: Redis;
  /** The worker's config for this bed (s3rver, Redis under the bed's prefix), `env` on top. */
  config(env?: Record<string, string>): AppConfig;
  /** Deletes every key under the prefix, closes the connection and the store, stops s3rver. */
  close(): Promise<void>;
}

export async function startWorkerTestBed(name: string, buckets: string[]): Promise<WorkerTestBed> {
  const s3 = await startS3Server({ buckets });
  const store = new S3ObjectStore(s3.clientOptions);
  const redis = new Redis(REDIS_URL);
  const prefix = `{${name}-${randomUUID()}}`;
  return {
    s3,
    store,
    redis,
    config: (env = {}) =>
      loadConfig({
        REDIS_URL,
        REDIS_PREFIX: prefix,
        ...s3.env,
        ...env,
      }),
    async close() {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      store.destroy();
      await s3.stop();
    },
  };
}

/** Sends Nest's log, warn and error lines to `lines` for the rest of the spec, so that it can check
 * that none of them names a patient. */
export function captureLogs(): { lines: string[]; logger: LoggerService } {
  const lines: string[] = [];
  const logger: LoggerService = {
    log: (m) => lines.push(String(m)),
    warn: (m) => lines.push(String(m)),
    error: (m) => lines.push(String(m)),
  };
  Logger.overrideLogger(logger);
  return { lines, logger };
}
