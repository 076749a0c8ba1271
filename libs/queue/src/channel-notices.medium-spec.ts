import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ChannelChangeNotice } from '@pneumoscreen/contracts';
import { createRedisConnection } from './connection';
import { publishChannelNotice, subscribeChannelNotices } from './channel-notices';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

test('a channel notice published in one deployment reaches its subscribers, and only theirs', async () => {
  const prefix = `psnotice-${randomBytes(4).toString('hex')}`;
  const got: ChannelChangeNotice[] = [];
  const other: ChannelChangeNotice[] = [];
  const unsubscribe = await subscribeChannelNotices(REDIS_URL, prefix, (n) => got.push(n));
  const unsubscribeOther = await subscribeChannelNotices(REDIS_URL, `${prefix}-other`, (n) => other.push(n));
  const publisher = createRedisConnection(REDIS_URL, 'producer', { lazyConnect: true });
  await publisher.connect();
  try {
    const notice = { model: 'pneumoscreen-pneumonia', channel: 'production', version: 'v2' };
    // Garbage on the topic is ignored rather than crashing the subscriber.
    await publisher.publish(`${prefix}:model-channels`, 'not json');
    assert.equal(await publishChannelNotice(publisher, prefix, notice), 1);
    const deadline = Date.now() + 5_000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got, [notice]);
    assert.deepEqual(other, []);
  } finally {
    await unsubscribe();
    await unsubscribeOther();
    await publisher.quit();
  }
});
