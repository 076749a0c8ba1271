import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, ForbiddenException, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConflictError, InvalidRequestError, NotFoundError, UnavailableError, UnusableError } from '@pneumoscreen/contracts';
import { OverCapacityError } from './capacity/ingest-capacity';
import { HttpErrorFilter, httpAnswerFor } from './http-errors.filter';

const redisAway = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

test('each domain error gets its status and its message; 503s say when to retry', () => {
  assert.deepEqual(httpAnswerFor(new InvalidRequestError('studyId: too long')), { status: 400, message: 'studyId: too long' });
  assert.deepEqual(httpAnswerFor(new NotFoundError('no study s1')), { status: 404, message: 'no study s1' });
  assert.deepEqual(httpAnswerFor(new ConflictError('study s1 already exists')), { status: 409, message: 'study s1 already exists' });
  assert.deepEqual(httpAnswerFor(new UnusableError('unreadable image')), { status: 422, message: 'unreadable image' });
  assert.deepEqual(httpAnswerFor(new UnavailableError('busy', 7)), { status: 503, message: 'busy', retryAfterS: 7 });
  assert.deepEqual(httpAnswerFor(new OverCapacityError('3 images are waiting', 30)), {
    status: 503,
    message: '3 images are waiting',
    retryAfterS: 30,
  });
  assert.deepEqual(httpAnswerFor(redisAway), {
    status: 503,
    message: 'the job store (Redis) cannot be reached; retry shortly',
    retryAfterS: 5,
  });
  // Not refusals: Nest's own exceptions keep their answers, and a fault stays a 500.
  assert.equal(httpAnswerFor(new ForbiddenException('no')), null);
  assert.equal(httpAnswerFor(new Error('bug')), null);
  assert.equal(httpAnswerFor('a string'), null);
});

const THROWN: Record<string, () => Error> = {
  conflict: () => new ConflictError('study s1 already exists'),
  busy: () => new OverCapacityError('the job store (Redis) is 95% full', 30),
  redis: () => redisAway,
  forbidden: () => new ForbiddenException('API key k of tenant t does not have the submit scope'),
  bug: () => new Error('a secret detail'),
};

@Controller('throw')
class ThrowingController {
  @Get(':what')
  async throw(@Param('what') what: string): Promise<never> {
    throw THROWN[what]!();
  }
}

@Module({ controllers: [ThrowingController] })
class ThrowingModule {}

test("over HTTP: the body is Nest's { statusCode, message }, Retry-After is set, and every other error takes Nest's path", async () => {
  const app = await NestFactory.create(ThrowingModule, { logger: false });
  app.useGlobalFilters(new HttpErrorFilter(app.getHttpAdapter()));
  await app.listen(0, '127.0.0.1');
  try {
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const get = async (what: string) => {
      const res = await fetch(`${url}/throw/${what}`);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    };
    assert.deepEqual(await get('conflict'), {
      status: 409,
      retryAfter: null,
      body: { statusCode: 409, message: 'study s1 already exists' },
    });
    assert.deepEqual(await get('busy'), {
      status: 503,
      retryAfter: '30',
      body: { statusCode: 503, message: 'the job store (Redis) is 95% full' },
    });
    assert.deepEqual(await get('redis'), {
      status: 503,
      retryAfter: '5',
      body: { statusCode: 503, message: 'the job store (Redis) cannot be reached; retry shortly' },
    });
    assert.deepEqual(await get('forbidden'), {
      status: 403,
      retryAfter: null,
      body: { statusCode: 403, message: 'API key k of tenant t does not have the submit scope', error: 'Forbidden' },
    });
    assert.deepEqual(await get('bug'), { status: 500, retryAfter: null, body: { statusCode: 500, message: 'Internal server error' } });
  } finally {
    await app.close();
  }
});
