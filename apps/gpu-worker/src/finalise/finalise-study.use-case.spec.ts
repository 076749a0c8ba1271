import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WEBHOOK_EVENT_TYPES, loadConfig } from '@pneumoscreen/config';
import { WebhookEventType, type ImageResult, type NewWebhookJobData, type StudyJobData } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { StudyRepository } from '@pneumoscreen/studies';
import { FinaliseStudyUseCase } from './finalise-study.use-case';

const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const endpoints = JSON.stringify([
  { url: 'https://a.example.org/all', bucket: 'hospital-a' },
  { url: 'https://a.example.org/positives', bucket: 'hospital-a', events: ['study.completed'] },
]);
const image: ImageResult = { key: 'incoming/s1/a.jpeg', etag: 'e', probability: 0.9, decision: 'PNEUMONIA', modelVersion: 'v1' };
Logger.overrideLogger(false);

function finalise(env: Record<string, string>, study: Partial<StudyJobData> = {}, images: ImageResult[] = [image]) {
  const sent: NewWebhookJobData[] = [];
  const store = { putObject: async () => ({ etag: 'r' }) } as unknown as ObjectStore;
  const studies = { complete: async () => undefined } as unknown as StudyRepository;
  const useCase = new FinaliseStudyUseCase(
    loadConfig(env),
    store,
    studies,
    { enqueue: async (m) => void sent.push(m) },
    { now: () => new Date('2025-06-01T12:00:00Z') },
  );
  const job: StudyJobData = { studyId: 's1', bucket: 'hospital-a', imageCount: images.length, submittedAt: '2025-06-01T11:59:00Z', ...study };
  return useCase.execute(job, images).then(() => sent);
}

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

  test('the study callback URL replaces the configured endpoints', async () => {
    const sent = await finalise({ WEBHOOK_SECRET: secret, WEBHOOK_ENDPOINTS: endpoints }, { callbackUrl: 'https://own.example.org/cb' });
    assert.deepEqual(sent.map((m) => m.url), ['https://own.example.org/cb']);
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
