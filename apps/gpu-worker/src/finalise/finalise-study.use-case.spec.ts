import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WEBHOOK_EVENT_TYPES, loadConfig } from '@pneumoscreen/config';
import { newMessageId, StudyResult, webhookMessageId, WebhookEventType, type ImageResult, type NewWebhookJobData, type SiteCalibration, type StudyJobData } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { StudyRepository } from '@pneumoscreen/studies';
import type { MessageIds } from '@pneumoscreen/webhooks';
import { FinaliseStudyUseCase } from './finalise-study.use-case';
import { NO_SITE_CALIBRATIONS, type SiteCalibrations } from './site-calibrations';

const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const endpoints = JSON.stringify([
  { url: 'https://a.example.org/all', bucket: 'hospital-a' },
  { url: 'https://a.example.org/positives', bucket: 'hospital-a', events: ['study.completed'] },
]);
const image: ImageResult = { key: 'incoming/s1/a.jpeg', etag: 'e', probability: 0.9, decision: 'PNEUMONIA', modelVersion: 'v1' };
Logger.overrideLogger(false);

// Drawn once per study event and kept, as RedisMessageIds does (its medium spec checks Redis).
const stored = new Map<string, string>();
const messageIds: MessageIds = {
  idFor: async (type, bucket, studyId) => {
    const key = `${type}/${bucket}/${studyId}`;
    if (!stored.has(key)) stored.set(key, newMessageId());
    return stored.get(key)!;
  },
};

function useCaseWith(env: Record<string, string>, calibrations: SiteCalibrations = NO_SITE_CALIBRATIONS, lateObjects?: number) {
  const sent: NewWebhookJobData[] = [];
  const written: Array<{ bucket: string; key: string; body: string }> = [];
  const store = { putObject: async (bucket: string, key: string, body: string) => (written.push({ bucket, key, body }), { etag: 'r' }) } as unknown as ObjectStore;
  const completed: unknown[] = [];
  const studies = {
    complete: async (...args: unknown[]) => void completed.push(args),
    get: async (studyId: string) => ({ studyId, bucket: 'hospital-a', status: 'queued', createdAt: '', lateObjects }),
  } as unknown as StudyRepository;
  const useCase = new FinaliseStudyUseCase(
    loadConfig(env),
    store,
    studies,
    { enqueue: async (m) => void sent.push(m) },
    { now: () => new Date('2025-06-01T12:00:00Z') },
    calibrations,
    messageIds,
  );
  return { useCase, sent, written, completed };
}

function finalise(env: Record<string, string>, study: Partial<StudyJobData> = {}, images: ImageResult[] = [image]) {
  const { useCase, sent } = useCaseWith(env);
  const job: StudyJobData = { studyId: 's1', bucket: 'hospital-a', imageCount: images.length, submittedAt: '2025-06-01T11:59:00Z', ...study };
  return useCase.execute(job, images).then(() => sent);
}

describe('FinaliseStudyUseCase: late objects', () => {
  test('objects recorded after the study was queued are counted in its result, and none is no field', async () => {
    const job: StudyJobData = { studyId: 's1', bucket: 'hospital-a', imageCount: 1, submittedAt: '2025-06-01T11:59:00Z' };
    const late = await useCaseWith({ WEBHOOK_SECRET: secret }, NO_SITE_CALIBRATIONS, 2).useCase.execute(job, [image]);
    assert.equal(late.lateObjects, 2);
    const none = await useCaseWith({ WEBHOOK_SECRET: secret }).useCase.execute(job, [image]);
    assert.equal('lateObjects' in none, false);
  });
});

describe('FinaliseStudyUseCase: where the study event goes', () => {
  test('to each endpoint configured for the bucket and the event, under one webhook-id', async () => {
    const sent = await finalise({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints, WEBHOOK_URL: 'https://ops.example.org/' });
    assert.deepEqual(sent.map((m) => m.url), ['https://a.example.org/all', 'https://a.example.org/positives']);
    assert.equal(new Set(sent.map((m) => m.messageId)).size, 1);
    assert.equal(JSON.parse(sent[0].body).type, 'study.completed');
  });

  test('a failed study skips the endpoint that only takes completions', async () => {
    const sent = await finalise({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints }, {}, [
      { key: 'incoming/s1/a.jpeg', etag: 'e', error: 'corrupt' },
    ]);
    assert.deepEqual(sent.map((m) => [m.url, JSON.parse(m.body).type]), [['https://a.example.org/all', 'study.failed']]);
  });

  test("a manifest's callback URL never replaces the configured endpoints; off the callback hosts, the result says why", async () => {
    const { useCase, sent, written } = useCaseWith({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints });
    const job: StudyJobData = { studyId: 's1', bucket: 'hospital-a', imageCount: 1, submittedAt: '2025-06-01T11:59:00Z', callbackUrl: 'https://attacker.example.net/steal' };
    const result = await useCase.execute(job, [image]);
    assert.deepEqual(sent.map((m) => m.url), ['https://a.example.org/all', 'https://a.example.org/positives']);
    assert.match(result.callbackRefused ?? '', /attacker\.example\.net is not on the tenant's callback hosts/);
    assert.equal(StudyResult.parse(JSON.parse(written[0].body)).callbackRefused, result.callbackRefused);
    assert.equal(JSON.parse(sent[0].body).data.callbackRefused, result.callbackRefused);
  });

  test('a callback URL on the callback hosts gets the event besides the configured endpoints', async () => {
    const sent = await finalise({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints, CALLBACK_HOSTS: 'ris.hospital-a.org' }, { callbackUrl: 'https://ris.hospital-a.org/cb' });
    assert.deepEqual(sent.map((m) => m.url), ['https://a.example.org/all', 'https://a.example.org/positives', 'https://ris.hospital-a.org/cb']);
  });

  test('the webhook-id is random, not derived from bucket and study id, and the same when finalised again', async () => {
    const env = { WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints };
    const [first, again] = [await finalise(env, { studyId: 's9' }), await finalise(env, { studyId: 's9' })];
    assert.notEqual(first[0].messageId, webhookMessageId('study.completed', 'hospital-a/s9'));
    assert.match(first[0].messageId, /^msg_[0-9a-f]{32}$/);
    assert.equal(again[0].messageId, first[0].messageId);
    const other = await finalise(env, { studyId: 's10' });
    assert.notEqual(other[0].messageId, first[0].messageId);
  });

  test("each tenant's study goes to its own endpoints, named with its tenant for signing", async () => {
    const tenants = JSON.stringify([
      { id: 'a', locations: [{ bucket: 'shared', prefix: 'incoming/a-' }], endpoints: [{ url: 'https://a.example.org/r', secrets: [secret] }] },
      { id: 'b', locations: [{ bucket: 'shared', prefix: 'incoming/b-' }], endpoints: [{ url: 'https://b.example.org/r', secrets: [secret] }] },
    ]);
    const sent = await finalise({ TENANTS: tenants }, { bucket: 'shared' }, [{ ...image, key: 'incoming/b-1/x.jpeg' }]);
    assert.deepEqual(sent.map((m) => [m.tenantId, m.url]), [['b', 'https://b.example.org/r']]);
    // Objects of no tenant, or of two: nobody's endpoint hears of them.
    assert.deepEqual(await finalise({ TENANTS: tenants }, { bucket: 'shared' }, [{ ...image, key: 'incoming/c-1/x.jpeg' }]), []);
    assert.deepEqual(await finalise({ TENANTS: tenants }, { bucket: 'shared' }, [{ ...image, key: 'incoming/a-1/x.jpeg' }, { ...image, key: 'incoming/b-1/y.jpeg' }]), []);
  });

  test("a study enters its tenant's index of finished studies (for the review worklist); a study of no single tenant enters none", async () => {
    const tenants = JSON.stringify([
      { id: 'a', locations: [{ bucket: 'shared', prefix: 'incoming/a-' }] },
      { id: 'b', locations: [{ bucket: 'shared', prefix: 'incoming/b-' }] },
    ]);
    const finishedFor = async (keys: string[]) => {
      const { useCase, completed } = useCaseWith({ TENANTS: tenants });
      await useCase.execute({ studyId: 's1', bucket: 'shared', imageCount: keys.length, submittedAt: '2025-06-01T11:59:00Z' }, keys.map((key) => ({ ...image, key })));
      return (completed[0] as unknown[])[5];
    };
    assert.deepEqual(await finishedFor(['incoming/b-1/x.jpeg']), { tenantId: 'b', bucket: 'shared' });
    assert.equal(await finishedFor(['incoming/a-1/x.jpeg', 'incoming/b-1/y.jpeg']), undefined);
  });

  test('WEBHOOK_URL serves a bucket no endpoint covers', async () => {
    const sent = await finalise({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints, WEBHOOK_URL: 'https://ops.example.org/' }, { bucket: 'hospital-b' });
    assert.deepEqual(sent.map((m) => m.url), ['https://ops.example.org/']);
  });

  test('without a secret nothing is queued: unsigned webhooks are never sent', async () => {
    assert.deepEqual(await finalise({ WEBHOOK_ENDPOINTS: endpoints }), []);
  });

  test('config knows the same event types as the contracts', () => {
    assert.deepEqual([...WEBHOOK_EVENT_TYPES], WebhookEventType.options);
  });
});

describe('FinaliseStudyUseCase: the threshold decisions are made at', () => {
  const study: StudyJobData = { studyId: 's2', bucket: 'hospital-a', imageCount: 2, submittedAt: '2025-06-01T11:59:00Z', modelVersion: 'v1' };
  const images: ImageResult[] = [
    { key: 'incoming/s2/a.jpeg', etag: 'e', probability: 0.55, decision: 'NORMAL', threshold: 0.78, modelVersion: 'v1' },
    { key: 'incoming/s2/b.jpeg', etag: 'e', probability: 0.2, decision: 'NORMAL', threshold: 0.78, modelVersion: 'v1' },
  ];
  const fitted = (site: string, version: string, threshold: number): SiteCalibration => ({
    model: 'pneumoscreen-pneumonia', version, site, threshold, targetSensitivity: 0.95, n: 40,
    sensitivity: { value: 0.95, low: 0.76, high: 0.99, count: 19, of: 20 },
    specificity: { value: 0.85, low: 0.64, high: 0.95, count: 17, of: 20 },
    auc: 0.97, source: 'data', fittedAt: '2025-05-01T00:00:00.000Z',
  });
  /** A fake port holding calibrations by version and site, recording what was asked. */
  const port = (...held: SiteCalibration[]) => {
    const asked: string[] = [];
    const calibrations: SiteCalibrations = { find: async (v, s) => (asked.push(`${v}/${s}`), held.find((c) => c.version === v && c.site === s) ?? null) };
    return { calibrations, asked };
  };

  test('the site\'s threshold re-decides each image from its probability, in the stored result too', async () => {
    const { calibrations, asked } = port(fitted('hospital-a', 'v1', 0.5));
    const { useCase, written, completed } = useCaseWith({}, calibrations);
    const result = await useCase.execute(study, images);
    assert.deepEqual(asked, ['v1/hospital-a']);
    assert.equal(result.decision, 'PNEUMONIA');
    assert.deepEqual([result.threshold, result.thresholdSource], [0.5, 'site:hospital-a']);
    assert.deepEqual(result.images.map((i) => [i.decision, i.threshold]), [['PNEUMONIA', 0.5], ['NORMAL', 0.5]]);
    const stored = StudyResult.parse(JSON.parse(written[0]!.body));
    assert.deepEqual([written[0]!.bucket, stored.decision, stored.thresholdSource], ['hospital-a', 'PNEUMONIA', 'site:hospital-a']);
    assert.equal((completed[0] as [string, string, string, { decision: string }])[3].decision, 'PNEUMONIA');
  });

  test('without a calibration for the study\'s site and version, the version\'s own threshold stands and is named', async () => {
    const { calibrations, asked } = port(fitted('clinic-b', 'v1', 0.5), fitted('hospital-a', 'v2', 0.5));
    const { useCase } = useCaseWith({}, calibrations);
    const result = await useCase.execute(study, images);
    assert.deepEqual(asked, ['v1/hospital-a']);
    assert.equal(result.decision, 'NORMAL');
    assert.deepEqual([result.threshold, result.thresholdSource], [0.78, 'model']);
    assert.deepEqual(result.images, images);
  });

  test('a stricter site threshold can clear a study the version called positive', async () => {
    const { calibrations } = port(fitted('hospital-a', 'v1', 0.9));
    const { useCase } = useCaseWith({}, calibrations);
    const positive: ImageResult = { key: 'incoming/s2/a.jpeg', etag: 'e', probability: 0.85, decision: 'PNEUMONIA', threshold: 0.78, modelVersion: 'v1' };
    const result = await useCase.execute({ ...study, modelVersion: undefined, imageCount: 1 }, [positive]);
    assert.deepEqual([result.decision, result.threshold, result.thresholdSource], ['NORMAL', 0.9, 'site:hospital-a']);
  });

  test('a study with no judged image asks for no calibration', async () => {
    const { calibrations, asked } = port(fitted('hospital-a', 'v1', 0.5));
    const { useCase } = useCaseWith({}, calibrations);
    const result = await useCase.execute({ ...study, modelVersion: undefined, imageCount: 1 }, [{ key: 'incoming/s2/a.jpeg', etag: 'e', error: 'corrupt' }]);
    assert.deepEqual(asked, []);
    assert.deepEqual([result.status, result.threshold, result.thresholdSource], ['failed', undefined, undefined]);
  });
});
