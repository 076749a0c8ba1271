import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import type { AppConfig } from '@pneumoscreen/config';
import { configureHttp } from './http-setup';
import { IngestModule } from './ingest.module';
import type { SnsTransport } from '@pneumoscreen/storage';

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
