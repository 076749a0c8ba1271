import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@pneumoscreen/config';
import { sizeDecodePool } from '@pneumoscreen/imaging';
import { WorkerModule } from './worker.module';

async function bootstrap() {
  const config = loadConfig();
  // Before anything queues work on libuv's pool, which reads its size only once.
  const decodeThreads = sizeDecodePool(config.worker.decodeThreads);
  const levels = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), {
    logger: levels.slice(0, levels.indexOf(config.logLevel) + 1),
  });
  app.enableShutdownHooks();
  Logger.log(`worker running pools: ${config.worker.pools.join(', ')}; ${decodeThreads} decode threads`, 'gpu-worker');
}

bootstrap().catch((e: Error) => {
  console.error(`gpu-worker failed to start: ${e.message}`);
  process.exit(1);
});
