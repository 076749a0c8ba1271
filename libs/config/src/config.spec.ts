import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from './config';

describe('loadConfig', () => {
  test('runs on defaults alone', () => {
    const c = loadConfig({});
    assert.equal(c.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(c.s3.bucket, 'pneumoscreen');
    assert.equal(c.s3.forcePathStyle, false);
    assert.deepEqual(c.worker.pools, ['classify', 'finalise', 'webhook']);
    assert.match(c.worker.modelDir, /models\/releases$/);
  });

  test('an S3 endpoint implies path-style addressing unless told otherwise', () => {
    assert.equal(loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000' }).s3.forcePathStyle, true);
    assert.equal(loadConfig({ S3_ENDPOINT: 'http://s3.local', S3_FORCE_PATH_STYLE: 'false' }).s3.forcePathStyle, false);
  });

  test('a bad value fails naming the variable', () => {
    assert.throws(() => loadConfig({ WORKER_MAX_BATCH: 'lots' }), (e: Error) => e instanceof ConfigError && /WORKER_MAX_BATCH/.test(e.message));
    assert.throws(() => loadConfig({ WORKER_POOLS: 'classify,dance' }), /WORKER_POOLS/);
    assert.throws(() => loadConfig({ REDIS_URL: 'not a url' }), /REDIS_URL/);
  });

  test('a malformed webhook secret is named but never echoed', () => {
    assert.throws(
      () => loadConfig({ WEBHOOK_SECRET: 'hunter2-secret' }),
      (e: Error) => /WEBHOOK_SECRET/.test(e.message) && !e.message.includes('hunter2'),
    );
  });

  test('several webhook secrets can be active at once for rotation', () => {
    const c = loadConfig({ WEBHOOK_SECRET: 'whsec_YWJj, whsec_ZGVm' });
    assert.deepEqual(c.webhooks.secrets, ['whsec_YWJj', 'whsec_ZGVm']);
  });

  test('an access key without its secret is refused', () => {
    assert.throws(() => loadConfig({ AWS_ACCESS_KEY_ID: 'AKIA' }), /AWS_SECRET_ACCESS_KEY/);
  });
});
