import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeedbackJobData } from '@pneumoscreen/contracts';
import { FeedbackStore } from '@pneumoscreen/feedback';
import { MemoryObjectStore } from '@pneumoscreen/storage';
import { RecordFeedbackUseCase } from './record-feedback.use-case';

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
  const store = new MemoryObjectStore();
  const feedback = new FeedbackStore(store, 'data', 'fb/');
  const result = await new RecordFeedbackUseCase(feedback, { now: () => new Date('2026-03-02T10:00:03.000Z') }).execute(LABEL);
  assert.deepEqual(result, { written: true });
  assert.deepEqual([...store.objects.keys()], [`data/fb/records/2026-03-02/${LABEL.feedbackId}.json`]);
  assert.deepEqual(await feedback.readAll(), [{ ...LABEL, recordedAt: '2026-03-02T10:00:03.000Z' }]);
});

test('a retried job keeps the first record as it was', async () => {
  const store = new MemoryObjectStore();
  const feedback = new FeedbackStore(store, 'data', 'fb/');
  let now = Date.parse('2026-03-02T10:00:03.000Z');
  const useCase = new RecordFeedbackUseCase(feedback, { now: () => new Date(now) });
  await useCase.execute(LABEL);
  now += 60_000;
  assert.deepEqual(await useCase.execute(LABEL), { written: false });
  assert.deepEqual(
    (await feedback.readAll()).map((r) => r.recordedAt),
    ['2026-03-02T10:00:03.000Z'],
  );
});
