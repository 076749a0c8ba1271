import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@pneumoscreen/config';
import { configureHttp } from './http-setup';
import { IngestModule } from './ingest.module';

async function bootstrap() {
  const config = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(IngestModule.register(config), {
    logger: logLevels(config.logLevel),
  });
  configureHttp(app);
  app.enableShutdownHooks();
  await app.listen(config.ingest.port, config.ingest.host);
  const url = await app.getUrl();
  // Machine-readable line for supervisors (the demo and e2e tests read the port from it).
  Logger.log(`listening on ${url.replace('[::1]', '127.0.0.1')}`, 'ingest');
}

function logLevels(level: string) {
  const all = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return all.slice(0, all.indexOf(level as (typeof all)[number]) + 1);
}

bootstrap().catch((e: Error) => {
  console.error(`ingest failed to start: ${e.message}`);
  process.exit(1);
});
