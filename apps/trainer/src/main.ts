import './decode-threads';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@pneumoscreen/config';
import { TrainerModule } from './trainer.module';

async function bootstrap() {
  const config = loadConfig();
  const levels = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  const app = await NestFactory.createApplicationContext(TrainerModule.register(config), {
    logger: levels.slice(0, levels.indexOf(config.logLevel) + 1),
  });
  app.enableShutdownHooks();
  Logger.log(`trainer running pools: ${config.trainer.pools.join(', ')}`, 'trainer');
}

bootstrap().catch((e: Error) => {
  console.error(`trainer failed to start: ${e.message}`);
  process.exit(1);
});
