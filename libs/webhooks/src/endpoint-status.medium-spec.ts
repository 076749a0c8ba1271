import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisEndpointStatus } from './endpoint-status';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `pstest-endpoints-${randomUUID()}`;
const status = new RedisEndpointStatus(redis, prefix);
const gone = {
  url: 'https://Hooks.example.org:443/h?k=1',
  since: '2025-06-01T12:00:00.000Z',
  reason: 'answered 410 Gone',
  messageId: 'msg_1',
};

after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

test('a disabled endpoint is found under any spelling of its URL, by another client too', async () => {
  assert.equal(await status.disabled(gone.url), null);
  await status.disable(gone);
  const otherClient = redis.duplicate();
  try {
    const other = new RedisEndpointStatus(otherClient, prefix);
    assert.deepEqual(await other.disabled('https://hooks.example.org/h?k=1'), { ...gone, url: 'https://hooks.example.org/h?k=1' });
  } finally {
    await otherClient.quit();
  }
  assert.equal(await status.disabled('https://hooks.example.org/h?k=2'), null);
});

test('a second 410 keeps the first record', async () => {
  await status.disable({ ...gone, since: '2025-06-02T00:00:00.000Z', messageId: 'msg_2' });
  assert.equal((await status.disabled(gone.url))?.messageId, 'msg_1');
});

test('enable returns what it lifted, once', async () => {
  await status.disable({ url: 'https://b.example.org/', since: '2025-05-01T00:00:00.000Z', reason: 'answered 410 Gone' });
  assert.deepEqual(
    (await status.listDisabled()).map((d) => d.url),
    ['https://b.example.org/', 'https://hooks.example.org/h?k=1'],
  );
  assert.equal((await status.enable(gone.url))?.messageId, 'msg_1');
  assert.equal(await status.enable(gone.url), null);
  assert.equal(await status.disabled(gone.url), null);
  assert.deepEqual(
    (await status.listDisabled()).map((d) => d.url),
    ['https://b.example.org/'],
  );
});
