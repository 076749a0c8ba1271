import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config';
import { hashTaggedPrefix, parseRedisUrl } from './redis-target';

test('a redis:// URL is one server, with its credentials, database and TLS', () => {
  assert.deepEqual(parseRedisUrl('rediss://ops:p%40ss@redis.internal:6380/2'), {
    cluster: false,
    nodes: [{ host: 'redis.internal', port: 6380 }],
    username: 'ops',
    password: 'p@ss',
    db: 2,
    tls: true,
  });
});

test('a redis-cluster:// URL lists seed nodes that share the credentials', () => {
  const t = parseRedisUrl('redis-cluster://:secret@10.0.0.1:7000,10.0.0.2,redis-c:7002');
  assert.equal(t.cluster, true);
  assert.deepEqual(t.nodes, [
    { host: '10.0.0.1', port: 7000 },
    { host: '10.0.0.2', port: 6379 },
    { host: 'redis-c', port: 7002 },
  ]);
  assert.equal(t.password, 'secret');
  assert.equal(t.tls, false);
  assert.equal(parseRedisUrl('rediss-cluster://a:1').tls, true);
});

test('what cannot be a Redis location is refused, and the URL (it may hold a password) is never echoed', () => {
  for (const url of [
    'http://h:1',
    'redis://a:1,b:2',
    'redis-cluster://a:1/3',
    'redis://h/x',
    'redis-cluster://',
    'redis://:hunter2@h:99999',
  ]) {
    assert.throws(
      () => loadConfig({ REDIS_URL: url }),
      (e: Error) => /REDIS_URL/.test(e.message) && !e.message.includes('hunter2'),
      url,
    );
  }
});

test("REDIS_CLUSTER_NODES makes the URL a cluster one, keeping REDIS_URL's credentials and TLS", () => {
  const c = loadConfig({ REDIS_URL: 'rediss://:pw@ignored:6379', REDIS_CLUSTER_NODES: 'r1:7000, r2:7001' });
  assert.equal(c.redis.url, 'rediss-cluster://:pw@r1:7000,r2:7001');
  assert.deepEqual(parseRedisUrl(c.redis.url).nodes, [
    { host: 'r1', port: 7000 },
    { host: 'r2', port: 7001 },
  ]);
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'r1' }), /REDIS_CLUSTER_NODES/);
  assert.throws(() => loadConfig({ REDIS_URL: 'redis-cluster://a:1', REDIS_CLUSTER_NODES: 'r1:1' }), /REDIS_CLUSTER_NODES/);
});

test("the key prefix is a hash tag, so a deployment's keys share one cluster slot", () => {
  assert.equal(loadConfig({}).redis.prefix, '{pneumoscreen}');
  assert.equal(loadConfig({ REDIS_PREFIX: 'site-a' }).redis.prefix, '{site-a}');
  assert.equal(hashTaggedPrefix('{site-a}'), '{site-a}');
  assert.throws(() => loadConfig({ REDIS_PREFIX: '{site-a' }), /REDIS_PREFIX/);
});
