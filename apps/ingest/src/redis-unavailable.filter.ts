import { type ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';
import { isRedisUnavailable } from '@pneumoscreen/queue';
import { OverCapacityError } from './capacity/ingest-capacity';

/** Seconds a caller is told to wait: ioredis reconnects within about two once Redis is back. */
const RETRY_AFTER_S = 5;

/**
 * Answers 503 with Retry-After, not 500, while ingest is over capacity (back-pressure), or Redis
 * cannot be reached (a restart, a failover) or refuses writes for lack of memory (OOM):
 * S3 event senders and API clients then retry the same request, which succeeds once it is back.
 * Every other error takes Nest's usual path.
 */
@Catch()
export class RedisUnavailableFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof OverCapacityError && host.getType() === 'http') {
      host.switchToHttp().getResponse<Response>().status(503).set('Retry-After', String(exception.retryAfterS)).json({ statusCode: 503, message: exception.message });
      return;
    }
    if (!isRedisUnavailable(exception) || host.getType() !== 'http') return super.catch(exception, host);
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(503)
      .set('Retry-After', String(RETRY_AFTER_S))
      .json({ statusCode: 503, message: 'the job store (Redis) cannot be reached; retry shortly' });
  }
}
