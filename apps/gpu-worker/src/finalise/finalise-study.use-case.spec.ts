import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WEBHOOK_EVENT_TYPES } from '@pneumoscreen/config';
import { StudyResult, webhookMessageId, WebhookEventType, type StudyJobData } from '@pneumoscreen/contracts';
import { endpoints, finalise, image, secret, useCaseWith } from './finalise-study.test-harness';
import { NO_SITE_CALIBRATIONS } from './site-calibrations';

// Late objects and where a study's event goes; the thresholds images are decided at are in
// finalise-study-thresholds.spec.ts.

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
    assert.deepEqual(
      sent.map((m) => m.url),
      ['https://a.example.org/all', 'https://a.example.org/positives'],
    );
    assert.equal(new Set(sent.map((m) => m.messageId)).size, 1);
    assert.equal(JSON.parse(sent[0].body).type, 'study.completed');
  });

  test('a failed study skips the endpoint that only takes completions', async () => {
    const sent = await finalise({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints }, {}, [
      { key: 'incoming/s1/a.jpeg', etag: 'e', error: 'corrupt' },
    ]);
    assert.deepEqual(
      sent.map((m) => [m.url, JSON.parse(m.body).type]),
      [['https://a.example.org/all', 'study.failed']],
    );
  });

  test("a manifest's callback URL never replaces the configured endpoints; off the callback hosts, the result says why", async () => {
    const { useCase, sent, written } = useCaseWith({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints });
    const job: StudyJobData = {
      studyId: 's1',
      bucket: 'hospital-a',
      imageCount: 1,
      submittedAt: '2025-06-01T11:59:00Z',
      callbackUrl: 'https://attacker.example.net/steal',
    };
    const result = await useCase.execute(job, [image]);
    assert.deepEqual(
      sent.map((m) => m.url),
      ['https://a.example.org/all', 'https://a.example.org/positives'],
    );
    assert.match(result.callbackRefused ?? '', /attacker\.example\.net is not on the tenant's callback hosts/);
    assert.equal(StudyResult.parse(JSON.parse(written[0].body)).callbackRefused, result.callbackRefused);
    assert.equal(JSON.parse(sent[0].body).data.callbackRefused, result.callbackRefused);
  });

  test('a callback URL on the callback hosts gets the event besides the configured endpoints', async () => {
    const sent = await finalise(
      { WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints, CALLBACK_HOSTS: 'ris.hospital-a.org' },
      { callbackUrl: 'https://ris.hospital-a.org/cb' },
    );
    assert.deepEqual(
      sent.map((m) => m.url),
      ['https://a.example.org/all', 'https://a.example.org/positives', 'https://ris.hospital-a.org/cb'],
    );
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
      {
        id: 'a',
        locations: [{ bucket: 'shared', prefix: 'incoming/a-' }],
        endpoints: [{ url: 'https://a.example.org/r', secrets: [secret] }],
      },
      {
        id: 'b',
        locations: [{ bucket: 'shared', prefix: 'incoming/b-' }],
        endpoints: [{ url: 'https://b.example.org/r', secrets: [secret] }],
      },
    ]);
    const sent = await finalise({ TENANTS: tenants }, { bucket: 'shared' }, [{ ...image, key: 'incoming/b-1/x.jpeg' }]);
    assert.deepEqual(
      sent.map((m) => [m.tenantId, m.url]),
      [['b', 'https://b.example.org/r']],
    );
    // Objects of no tenant, or of two: nobody's endpoint hears of them.
    assert.deepEqual(await finalise({ TENANTS: tenants }, { bucket: 'shared' }, [{ ...image, key: 'incoming/c-1/x.jpeg' }]), []);
    assert.deepEqual(
      await finalise({ TENANTS: tenants }, { bucket: 'shared' }, [
        { ...image, key: 'incoming/a-1/x.jpeg' },
        { ...image, key: 'incoming/b-1/y.jpeg' },
      ]),
      [],
    );
  });

  test("a study enters its tenant's index of finished studies (for the review worklist); a study of no single tenant enters none", async () => {
    const tenants = JSON.stringify([
      { id: 'a', locations: [{ bucket: 'shared', prefix: 'incoming/a-' }] },
      { id: 'b', locations: [{ bucket: 'shared', prefix: 'incoming/b-' }] },
    ]);
    const finishedFor = async (keys: string[]) => {
      const { useCase, completed } = useCaseWith({ TENANTS: tenants });
      await useCase.execute(
        { studyId: 's1', bucket: 'shared', imageCount: keys.length, submittedAt: '2025-06-01T11:59:00Z' },
        keys.map((key) => ({ ...image, key })),
      );
      return (completed[0] as unknown[])[5];
    };
    assert.deepEqual(await finishedFor(['incoming/b-1/x.jpeg']), { tenantId: 'b', bucket: 'shared' });
    assert.equal(await finishedFor(['incoming/a-1/x.jpeg', 'incoming/b-1/y.jpeg']), undefined);
  });

  test('WEBHOOK_URL serves a bucket no endpoint covers', async () => {
    const sent = await finalise(
      { WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints, WEBHOOK_URL: 'https://ops.example.org/' },
      { bucket: 'hospital-b' },
    );
    assert.deepEqual(
      sent.map((m) => m.url),
      ['https://ops.example.org/'],
    );
  });

  test('without a secret nothing is queued: unsigned webhooks are never sent', async () => {
    assert.deepEqual(await finalise({ WEBHOOK_ENDPOINTS: endpoints }), []);
  });

  test('config knows the same event types as the contracts', () => {
    assert.deepEqual([...WEBHOOK_EVENT_TYPES], WebhookEventType.options);
  });
});
