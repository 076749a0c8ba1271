import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { isRedisUnavailable } from '@pneumoscreen/queue';
import { startPrivateRedis, type PrivateRedis } from '@pneumoscreen/testing';
import { IngestCapacity, OverCapacityError } from './ingest-capacity';

// A private Redis: the test sets its maxmemory, which would hurt every other user of a shared one.
let server: PrivateRedis;
let redis: Redis;
let queue: Queue;
let now = 0;

before(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url);
  queue = new Queue('image', { connection: { host: '127.0.0.1', port: server.port }, prefix: `pscap-${randomUUID()}` });
});
after(async () => {
  await queue.close();
  redis.disconnect();
  await server.stop();
});

test('new work is refused with a retry time once the image queue reaches its limit, and taken again below it', async () => {
  const capacity = new IngestCapacity(redis, queue, { maxQueuedImages: 3, maxRedisMemoryFraction: 0.8 }, () => now);
  await queue.addBulk([1, 2].map((i) => ({ name: 'classify-image', data: { i } })));
  await capacity.check();
  await queue.add('classify-image', { i: 3 }, { delay: 60_000 }); // a retry waiting its turn counts too
  await capacity.check(); // measured at most once a second
  now += 1_000;
  await assert.rejects(
    capacity.check(),
    (e: Error) =>
      e instanceof OverCapacityError &&
      e.retryAfterS === 30 &&
      /3 images are waiting to be classified \(INGEST_MAX_QUEUED_IMAGES=3\)/.test(e.message),
  );
  await queue.obliterate({ force: true });
  now += 1_000;
  await capacity.check();
});

test('new work is refused once Redis passes the share of its maxmemory, and a Redis out of memory counts as unavailable', async () => {
  const capacity = new IngestCapacity(redis, queue, { maxQueuedImages: 0, maxRedisMemoryFraction: 0.8 }, () => now);
  const used = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
  await redis.config('SET', 'maxmemory', String(Math.floor(used * 4)));
  now += 1_000;
  await capacity.check();
  await redis.config('SET', 'maxmemory', String(Math.floor(used * 1.1)));
  now += 1_000;
  await assert.rejects(
    capacity.check(),
    (e: Error) => e instanceof OverCapacityError && /the job store \(Redis\) is \d+% full/.test(e.message),
  );
  await redis.config('SET', 'maxmemory', '1');
  const oom = await redis.set('k', 'x'.repeat(1000)).catch((e: Error) => e);
  assert.ok(oom instanceof Error && /^OOM /.test(oom.message), String(oom));
  assert.equal(isRedisUnavailable(oom), true);
  await redis.config('SET', 'maxmemory', '0');
});
