import './decode-threads';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@pneumoscreen/config';
import { FatalSignal, closeOnFatal } from '@pneumoscreen/queue';
import { WorkerModule } from './worker.module';

async function bootstrap() {
  const config = loadConfig();
  const levels = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), {
    logger: levels.slice(0, levels.indexOf(config.logLevel) + 1),
  });
  app.enableShutdownHooks();
  // A broken engine or a model that cannot load: the pools drain, then the process exits 1.
  closeOnFatal(app.get(FatalSignal), app, { log: (line) => Logger.error(line, 'gpu-worker'), exit: (code) => process.exit(code) });
  Logger.log(`worker running pools: ${config.worker.pools.join(', ')}; ${process.env.UV_THREADPOOL_SIZE} decode threads`, 'gpu-worker');
}

bootstrap().catch((e: Error) => {
  console.error(`gpu-worker failed to start: ${e.message}`);
  process.exit(1);
});
