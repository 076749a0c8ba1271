import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    assert.throws(
      () => loadConfig({ WORKER_MAX_BATCH: 'lots' }),
      (e: Error) => e instanceof ConfigError && /WORKER_MAX_BATCH/.test(e.message),
    );
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
    assert.deepEqual(c.tenants[0].callbackSecrets, ['whsec_YWJj', 'whsec_ZGVm']);
  });

  test('an access key without its secret is refused', () => {
    assert.throws(() => loadConfig({ AWS_ACCESS_KEY_ID: 'AKIA' }), /AWS_SECRET_ACCESS_KEY/);
  });

  test('WEBHOOK_ENDPOINTS: a JSON array inline or in a file, none by default', () => {
    const endpoints = [
      { url: 'https://hooks.hospital-a.org/pneumo', bucket: 'hospital-a', events: ['study.completed', 'study.failed'] },
      { url: 'https://ops.example.org/models', events: ['model.rolled_out'] },
    ];
    assert.deepEqual(loadConfig({}).tenants[0].endpoints, []);
    assert.deepEqual(
      loadConfig({ WEBHOOK_ENDPOINTS: JSON.stringify(endpoints) }).tenants[0].endpoints,
      endpoints.map((e) => ({ ...e, secrets: [] })),
    );
    const file = join(mkdtempSync(join(tmpdir(), 'pneumoscreen-config-')), 'endpoints.json');
    writeFileSync(file, JSON.stringify(endpoints));
    assert.deepEqual(
      loadConfig({ WEBHOOK_ENDPOINTS: file }).tenants[0].endpoints,
      endpoints.map((e) => ({ ...e, secrets: [] })),
    );
  });

  test('WEBHOOK_ENDPOINTS: each mistake is named by its place, and no URL is echoed', () => {
    const bad = (value: string, pattern: RegExp) =>
      assert.throws(
        () => loadConfig({ WEBHOOK_ENDPOINTS: value }),
        (e: Error) => e instanceof ConfigError && pattern.test(e.message) && !e.message.includes('tok3n'),
        value,
      );
    bad('[{"url": "https://h.example.org/x?token=tok3n",}]', /WEBHOOK_ENDPOINTS: is not valid JSON/);
    bad('[{"url": "ftp://h.example.org/?t=tok3n"}]', /WEBHOOK_ENDPOINTS\.0\.url: must be an http or https URL/);
    bad('[{"url": "https://h.example.org/?t=tok3n", "events": ["study.done"]}]', /WEBHOOK_ENDPOINTS\.0\.events\.0: Invalid enum value/);
    bad('[{"url": "https://h.example.org/?t=tok3n", "event": ["study.failed"]}]', /WEBHOOK_ENDPOINTS\.0: Unrecognized key.*event/);
    bad('{"url": "https://h.example.org/?t=tok3n"}', /WEBHOOK_ENDPOINTS: neither a JSON array nor the path of a readable file \(ENOENT\)/);
  });

  test('the retry schedule takes units, and jitter a fraction', () => {
    const c = loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0, 250ms, 5s, 30m, 2h, 40', WEBHOOK_RETRY_JITTER: '0' });
    assert.deepEqual(c.webhooks.retryScheduleMs, [0, 250, 5000, 1_800_000, 7_200_000, 40]);
    assert.equal(c.webhooks.retryJitter, 0);
    assert.equal(loadConfig({}).webhooks.retryScheduleMs, undefined);
    assert.equal(loadConfig({}).webhooks.retryJitter, 0.1);
    assert.throws(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0,5 minutes' }), /WEBHOOK_RETRY_SCHEDULE\.1: must be a duration/);
    assert.throws(() => loadConfig({ WEBHOOK_RETRY_JITTER: '1.5' }), /WEBHOOK_RETRY_JITTER/);
  });

  test('WORKER_FINALISE_CONCURRENCY and WEBHOOK_CONCURRENCY set the finalise and webhook pools (16 and 8 by default)', () => {
    assert.deepEqual([loadConfig({}).worker.finaliseConcurrency, loadConfig({}).webhooks.concurrency], [16, 8]);
    const c = loadConfig({ WORKER_FINALISE_CONCURRENCY: '3', WEBHOOK_CONCURRENCY: '2' });
    assert.deepEqual([c.worker.finaliseConcurrency, c.webhooks.concurrency], [3, 2]);
    assert.throws(() => loadConfig({ WEBHOOK_CONCURRENCY: '0' }), /WEBHOOK_CONCURRENCY/);
  });

  test('ENGINE picks the inference engine (auto by default) and ENGINE_THREADS its threads', () => {
    assert.equal(loadConfig({}).worker.engine, 'auto');
    assert.equal(loadConfig({}).worker.engineThreads, 0);
    const c = loadConfig({ ENGINE: 'onnxruntime', ENGINE_THREADS: '2' });
    assert.equal(c.worker.engine, 'onnxruntime');
    assert.equal(c.worker.engineThreads, 2);
    assert.throws(() => loadConfig({ ENGINE: 'tensorrt' }), /ENGINE/);
    assert.throws(() => loadConfig({ ENGINE_THREADS: '-1' }), /ENGINE_THREADS/);
  });

  test('WORKER_PREFERRED_BATCH lists sizes that run at once, none above WORKER_MAX_BATCH', () => {
    assert.deepEqual(loadConfig({}).worker.preferredBatchSizes, []);
    assert.deepEqual(loadConfig({ WORKER_PREFERRED_BATCH: '16, 8,16' }).worker.preferredBatchSizes, [8, 16]);
    assert.throws(() => loadConfig({ WORKER_PREFERRED_BATCH: '8,64' }), /WORKER_PREFERRED_BATCH: 64 exceeds WORKER_MAX_BATCH \(32\)/);
    assert.throws(() => loadConfig({ WORKER_PREFERRED_BATCH: '8,x' }), /WORKER_PREFERRED_BATCH/);
  });

  test('DECODE_THREADS is unset by default and must be a positive integer', () => {
    assert.equal(loadConfig({}).decodeThreads, undefined);
    assert.equal(loadConfig({ DECODE_THREADS: '16' }).decodeThreads, 16);
    assert.throws(() => loadConfig({ DECODE_THREADS: '0' }), /DECODE_THREADS/);
  });
});
