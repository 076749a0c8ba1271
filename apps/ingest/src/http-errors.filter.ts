import { type ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';
import { ConflictError, InvalidRequestError, NotFoundError, UnavailableError, UnusableError } from '@pneumoscreen/contracts';
import { isRedisUnavailable } from '@pneumoscreen/queue';

/** Seconds a caller is told to wait: ioredis reconnects within about two once Redis is back. */
const REDIS_RETRY_AFTER_S = 5;

export interface HttpAnswer {
  status: number;
  message: string;
  /** Sent as `Retry-After`. */
  retryAfterS?: number;
}

/** Each domain error's status; a kind of error not listed here is no refusal but a fault (500). */
const STATUS_OF: Array<[abstract new (...args: never[]) => Error, number]> = [
  [InvalidRequestError, 400],
  [NotFoundError, 404],
  [ConflictError, 409],
  [UnusableError, 422],
  [UnavailableError, 503],
];

/**
 * What ingest answers for an error a use case (or guard) threw, or null for Nest's usual path
 * (its own HttpExceptions, and 500 for the rest). 503 comes with Retry-After, never a 500, while
 * ingest is over capacity (back-pressure) or Redis cannot be reached (a restart, a failover) or
 * refuses writes for lack of memory (OOM): S3 event senders and API clients then retry the same
 * request, which succeeds once it is back.
 */
export function httpAnswerFor(exception: unknown): HttpAnswer | null {
  if (isRedisUnavailable(exception))
    return { status: 503, message: 'the job store (Redis) cannot be reached; retry shortly', retryAfterS: REDIS_RETRY_AFTER_S };
  if (!(exception instanceof Error)) return null;
  const status = STATUS_OF.find(([kind]) => exception instanceof kind)?.[1];
  if (status === undefined) return null;
  return { status, message: exception.message, ...(exception instanceof UnavailableError ? { retryAfterS: exception.retryAfterS } : {}) };
}

/** The one place ingest maps errors to HTTP: the body is Nest's own shape, `{ statusCode, message }`. */
@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const answer = host.getType() === 'http' ? httpAnswerFor(exception) : null;
    if (!answer) return super.catch(exception, host);
    const res = host.switchToHttp().getResponse<Response>().status(answer.status);
    if (answer.retryAfterS !== undefined) res.set('Retry-After', String(answer.retryAfterS));
    res.json({ statusCode: answer.status, message: answer.message });
  }
}
