import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import { FeedbackJobData, QueueName, resultsKey, type FeedbackAccepted, type StudyResult } from '@pneumoscreen/contracts';
import { FeedbackStore, currentLabels } from '@pneumoscreen/feedback';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { RedisStudyRepository } from '@pneumoscreen/studies';
import { repoRoot, spawnApp, startS3Server, type S3Server, type SpawnedApp } from '@pneumoscreen/testing';
import { IngestModule } from '../ingest.module';
import { ingestTestEnv } from '../ingest.test-harness';
import { REDIS } from '../tokens';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = randomBytes(16).toString('hex');
const COMMENT = 'Jane Roe, 1961: right lower lobe consolidation was missed';

const result = (studyId: string): StudyResult => ({
  studyId,
  bucket: 'scans',
  status: 'completed',
  decision: 'PNEUMONIA',
  modelVersion: 'v3',
  images: [
    { key: `incoming/${studyId}/a.jpeg`, etag: 'etag-a', probability: 0.92, decision: 'PNEUMONIA', modelVersion: 'v3' },
    { key: `incoming/${studyId}/b.jpeg`, etag: 'etag-b', error: 'not an image' },
    { key: `incoming/${studyId}/c.jpeg`, etag: 'etag-c', probability: 0.08, decision: 'NORMAL', modelVersion: 'v3' },
  ],
  submittedAt: '2026-03-01T00:00:00.000Z',
  completedAt: '2026-03-01T00:00:05.000Z',
  resultsKey: resultsKey(studyId),
});

/** Ingest in this process over real HTTP, the trainer's feedback pool as its own process from its
 * build, s3rver for both buckets and the real Redis under a prefix of this test's own. */
describe('feedback: POST /v1/feedback to records in the data set (s3rver, real Redis, trainer process)', () => {
  let s3: S3Server;
  let config: AppConfig;
  let app: INestApplication;
  let url: string;
  let trainer: SpawnedApp;
  let registryDir: string;
  let store: S3ObjectStore;
  let queue: Queue;
  let redis: Redis;
  const prefix = `{psfeedback-${randomUUID()}}`;

  before(async () => {
    s3 = await startS3Server({ buckets: ['scans', 'data'] });
    registryDir = await mkdtemp(join(tmpdir(), 'pneumoscreen-feedback-registry-'));
    const env = {
      ...ingestTestEnv(s3, prefix, 'data'),
      INGEST_API_KEY: API_KEY,
      S3_EVENTS_TOKEN: randomBytes(16).toString('hex'),
      RECONCILE_INTERVAL_MS: '0',
      STUDY_QUIET_PERIOD_MS: '600000',
    };
    config = loadConfig(env);
    store = new S3ObjectStore(config.s3);
    redis = new Redis(REDIS_URL);
    queue = new Queue(QueueName.feedback, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
    for (const id of ['s1', 's2']) await store.putObject('scans', resultsKey(id), JSON.stringify(result(id)), 'application/json');

    app = await NestFactory.create(IngestModule.register(config), { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    trainer = spawnApp('trainer', join(repoRoot(), 'apps/trainer/dist/main.js'), {
      ...process.env,
      ...env,
      TRAINER_POOLS: 'feedback',
      MODEL_REGISTRY: registryDir,
    });
    await trainer.waitForLine(/trainer running pools: feedback/);
  });

  after(async () => {
    // IngestModule leaves its study repository's connection to the process's exit.
    await app?.get<Redis>(REDIS).quit();
    await app?.close();
    await trainer?.stop();
    await queue?.close();
    const keys = (await redis?.keys(`${prefix}:*`)) ?? [];
    if (keys.length) await redis.del(...keys);
    await redis?.quit();
    store?.destroy();
    await s3?.stop();
    if (registryDir) await rm(registryDir, { recursive: true, force: true });
  });

  async function post(body: unknown, key: string | null = API_KEY): Promise<{ status: number; body: any }> {
    const res = await fetch(`${url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  /** Waits for the trainer to finish the job of an accepted label. */
  async function stored(feedbackId: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const state = await (await queue.getJob(feedbackId))?.getState();
      if (state === 'completed') return;
      assert.notEqual(state, 'failed', `job ${feedbackId} failed: ${(await queue.getJob(feedbackId))?.failedReason}`);
      if (Date.now() > deadline) assert.fail(`job ${feedbackId} is still ${state}; trainer said:\n${trainer.output.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const feedback = () => new FeedbackStore(store, 'data', config.feedback.prefix);

  test('no or a wrong API key: 401, nothing queued', async () => {
    const body = { studyId: 's1', bucket: 'scans', label: 'NORMAL', readerId: 'dr-1' };
    assert.equal((await post(body, null)).status, 401);
    assert.equal((await post(body, 'x'.repeat(32))).status, 401);
    assert.equal(await queue.count(), 0);
  });

  test('a bad body: 400 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ studyId: 's1', label: 'MAYBE', readerId: 'dr-1' }, /^label: /],
      [{ studyId: 's1', label: 'NORMAL' }, /^readerId: Required/],
      [{ studyId: 's1', label: 'NORMAL', readerId: 'Dr Jane Roe' }, /^readerId: must be/],
      [{ studyId: 's1', label: 'NORMAL', readerId: 'dr-1', comment: 'x'.repeat(2001) }, /^comment: /],
      [{ studyId: 's1', label: 'NORMAL', readerId: 'dr-1', labels: 'NORMAL' }, /Unrecognized key.*labels/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 200));
      assert.match(r.body.message, message);
    }
  });

  test('refusals give the reason: unknown study or key 404, unfinished study 409, unreadable image 422', async () => {
    const label = { bucket: 'scans', label: 'NORMAL', readerId: 'dr-1' };
    assert.deepEqual(await post({ ...label, studyId: 'nope' }), {
      status: 404,
      body: { statusCode: 404, message: 'no completed study nope in bucket scans' },
    });
    const { bucket: _, ...inDataBucket } = label;
    assert.equal((await post({ ...inDataBucket, studyId: 's1' })).body.message, 'no completed study s1 in bucket data');
    assert.deepEqual(await post({ ...label, bucket: 'no-such-bucket', studyId: 's1' }), {
      status: 404,
      body: { statusCode: 404, message: 'no bucket no-such-bucket' },
    });
    assert.deepEqual(await post({ ...label, studyId: 's1', key: 'incoming/s1/z.jpeg' }), {
      status: 404,
      body: { statusCode: 404, message: 'incoming/s1/z.jpeg is not an image of study s1' },
    });
    await new RedisStudyRepository(redis, prefix).ensureStudy('s9', 'scans', new Date());
    const unfinished = await post({ ...label, studyId: 's9' });
    assert.equal(unfinished.status, 409);
    assert.match(unfinished.body.message, /^study s9 is not completed yet \(collecting\)/);
    const unreadable = await post({ ...label, studyId: 's1', key: 'incoming/s1/b.jpeg' });
    assert.equal(unreadable.status, 422);
    assert.match(unreadable.body.message, /cannot be used for training/);
    assert.equal(await queue.count(), 0, 'nothing refused is queued');
  });

  test('an image label and a study label end as records; the latest wins and the disagreement is counted', async () => {
    const first = await post({
      studyId: 's2',
      bucket: 'scans',
      key: 'incoming/s2/a.jpeg',
      label: 'PNEUMONIA',
      readerId: 'dr-1',
      comment: COMMENT,
    });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const accepted = first.body as FeedbackAccepted;
    assert.deepEqual(accepted, { feedbackId: accepted.feedbackId, studyId: 's2', images: 1 });
    await stored(accepted.feedbackId);
    // Receipt times decide which label wins: keep the second clearly later.
    await new Promise((r) => setTimeout(r, 20));
    const second = await post({ studyId: 's2', bucket: 'scans', label: 'NORMAL', readerId: 'dr-2' });
    assert.deepEqual(second.body, { feedbackId: second.body.feedbackId, studyId: 's2', images: 2 });
    await stored(second.body.feedbackId);

    const records = (await feedback().readAll()).filter((r) => r.studyId === 's2').sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    assert.deepEqual(
      records.map((r) => [r.feedbackId, r.scope, r.label, r.readerId, r.images.map((i) => `${i.key}@${i.etag}`)]),
      [
        [accepted.feedbackId, 'image', 'PNEUMONIA', 'dr-1', ['incoming/s2/a.jpeg@etag-a']],
        [second.body.feedbackId, 'study', 'NORMAL', 'dr-2', ['incoming/s2/a.jpeg@etag-a', 'incoming/s2/c.jpeg@etag-c']],
      ],
    );
    assert.ok(records.every((r) => r.bucket === 'scans' && Date.parse(r.recordedAt) >= Date.parse(r.receivedAt)));

    const labels = currentLabels(records);
    assert.deepEqual(
      labels.images.map((i) => [i.key, i.label, i.labels, i.disputed, i.modelVersion, i.probability]),
      [
        ['incoming/s2/a.jpeg', 'NORMAL', 2, true, 'v3', 0.92],
        ['incoming/s2/c.jpeg', 'NORMAL', 1, false, 'v3', 0.08],
      ],
    );
    assert.equal(labels.disagreements, 1);
  });

  test('the comment is in S3 beside the record, and nowhere in Redis', async () => {
    const r = await post({
      studyId: 's1',
      bucket: 'scans',
      key: 'incoming/s1/c.jpeg',
      label: 'PNEUMONIA',
      readerId: 'dr-3',
      comment: COMMENT,
    });
    assert.equal(r.status, 202);
    await stored(r.body.feedbackId);
    const job = FeedbackJobData.parse((await queue.getJob(r.body.feedbackId))!.data);
    assert.equal(job.commentKey, `${config.feedback.prefix}comments/${r.body.feedbackId}.json`);
    const saved = JSON.parse((await store.getObject('data', job.commentKey!, { maxBytes: 1 << 20 })).body.toString('utf8'));
    assert.deepEqual(saved, { feedbackId: r.body.feedbackId, comment: COMMENT });
    const record = (await feedback().readAll()).find((x) => x.feedbackId === r.body.feedbackId);
    assert.equal(record?.commentKey, job.commentKey);

    const everything: string[] = [];
    for (const key of await redis.keys(`${prefix}:*`)) {
      const type = await redis.type(key);
      if (type === 'hash') everything.push(...Object.values(await redis.hgetall(key)));
      else if (type === 'string') everything.push((await redis.get(key)) ?? '');
    }
    assert.ok(everything.length > 0);
    assert.ok(!everything.some((v) => v.includes('Jane Roe') || v.includes('consolidation')), 'comment text found in Redis');
  });
});
