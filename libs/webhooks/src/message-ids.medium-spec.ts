import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisMessageIds } from './message-ids';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `pstest-msgids-${randomUUID()}`;
after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

test('a study event gets one random webhook-id, kept for every later ask, from any worker', async () => {
  const [one, two] = [new RedisMessageIds(redis, prefix), new RedisMessageIds(redis, prefix)];
  const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? one : two).idFor('study.completed', 'hospital-a', 'st-1')));
  assert.equal(new Set(ids).size, 1);
  assert.match(ids[0], /^msg_[0-9a-f]{32}$/);
  assert.notEqual(await one.idFor('study.failed', 'hospital-a', 'st-1'), ids[0]);
  assert.notEqual(await one.idFor('study.completed', 'hospital-b', 'st-1'), ids[0]);
  // Another deployment (or the same study id re-used later) draws another id: nothing derives it.
  assert.notEqual(await new RedisMessageIds(redis, `${prefix}:other`).idFor('study.completed', 'hospital-a', 'st-1'), ids[0]);
});
