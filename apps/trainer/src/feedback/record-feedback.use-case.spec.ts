import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeedbackJobData } from '@pneumoscreen/contracts';
import { FeedbackStore } from '@pneumoscreen/feedback';
import { ObjectNotFoundError, type ObjectStore } from '@pneumoscreen/storage';
import { RecordFeedbackUseCase } from './record-feedback.use-case';

function memoryStore(): ObjectStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    async getObject(bucket, key) {
      const body = objects.get(`${bucket}/${key}`);
      if (body === undefined) throw new ObjectNotFoundError(bucket, key);
      return { body: Buffer.from(body), etag: 'e' };
    },
    async putObject(bucket, key, body) {
      objects.set(`${bucket}/${key}`, body.toString());
      return { etag: 'e' };
    },
    async *listObjects(bucket, prefix) {
      for (const k of [...objects.keys()].sort()) {
        if (k.startsWith(`${bucket}/${prefix}`)) yield { key: k.slice(bucket.length + 1), etag: 'e', size: 1, lastModified: new Date(0) };
      }
    },
    async headObject(bucket, key) {
      return objects.has(`${bucket}/${key}`) ? { etag: 'e', size: 1 } : null;
    },
  };
}

const LABEL: FeedbackJobData = {
  feedbackId: '0b6f7a52-8d44-4a51-9a3e-4c1f0a6f2b11',
  studyId: 's1',
  bucket: 'scans',
  scope: 'image',
  images: [{ key: 'incoming/s1/a.jpeg', etag: 'ea', probability: 0.9 }],
  label: 'NORMAL',
  readerId: 'dr-7',
  receivedAt: '2026-03-02T10:00:00.000Z',
};

test('a label becomes one record, stamped with the time it was recorded', async () => {
  const store = memoryStore();
  const feedback = new FeedbackStore(store, 'data', 'fb/');
  const result = await new RecordFeedbackUseCase(feedback, { now: () => new Date('2026-03-02T10:00:03.000Z') }).execute(LABEL);
  assert.deepEqual(result, { written: true });
  assert.deepEqual([...store.objects.keys()], [`data/fb/records/2026-03-02/${LABEL.feedbackId}.json`]);
  assert.deepEqual(await feedback.readAll(), [{ ...LABEL, recordedAt: '2026-03-02T10:00:03.000Z' }]);
});

test('a retried job keeps the first record as it was', async () => {
  const store = memoryStore();
  const feedback = new FeedbackStore(store, 'data', 'fb/');
  let now = Date.parse('2026-03-02T10:00:03.000Z');
  const useCase = new RecordFeedbackUseCase(feedback, { now: () => new Date(now) });
  await useCase.execute(LABEL);
  now += 60_000;
  assert.deepEqual(await useCase.execute(LABEL), { written: false });
  assert.deepEqual((await feedback.readAll()).map((r) => r.recordedAt), ['2026-03-02T10:00:03.000Z']);
});
