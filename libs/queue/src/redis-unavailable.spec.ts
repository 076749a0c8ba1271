import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { isRedisUnavailable } from './redis-unavailable';

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

test('the errors ioredis gives while no Redis answers count as unavailable; a refused command does not', async () => {
  const port = await closedPort();
  const failFast = new Redis({ port, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
  failFast.on('error', () => undefined);
  await failFast.connect().catch(() => undefined);
  const offline = await failFast.get('k').catch((e: Error) => e);
  assert.ok(offline instanceof Error && isRedisUnavailable(offline), String(offline));

  const retrying = new Redis({ port, maxRetriesPerRequest: 1, retryStrategy: () => 10 });
  retrying.on('error', () => undefined);
  const gaveUp = await retrying.get('k').catch((e: Error) => e);
  retrying.disconnect();
  assert.ok(gaveUp instanceof Error && isRedisUnavailable(gaveUp), String(gaveUp));

  assert.equal(isRedisUnavailable(new Error('WRONGTYPE Operation against a key holding the wrong kind of value')), false);
  assert.equal(isRedisUnavailable('ECONNREFUSED'), false);
  assert.equal(isRedisUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), true);
});

test('a Cluster client that reaches no node, or gives up following a failover, counts as unavailable', async () => {
  const port = await closedPort();
  const cluster = new Cluster([{ host: '127.0.0.1', port }], {
    enableOfflineQueue: false,
    lazyConnect: true,
    clusterRetryStrategy: () => null,
  });
  cluster.on('error', () => undefined);
  const offline = await cluster.get('k').catch((e: Error) => e);
  cluster.disconnect();
  assert.ok(offline instanceof Error && isRedisUnavailable(offline), String(offline));
  assert.equal(
    isRedisUnavailable(new Error('Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down')),
    true,
  );
  assert.equal(isRedisUnavailable(Object.assign(new Error('CLUSTERDOWN The cluster is down'), { name: 'ReplyError' })), true);
  assert.equal(
    isRedisUnavailable(Object.assign(new Error("CROSSSLOT Keys in request don't hash to the same slot"), { name: 'ReplyError' })),
    false,
  );
});
