import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@pneumoscreen/config';
import { DomainError, FeedbackJobData, resultsKey, type FeedbackRequest, type StudyResult } from '@pneumoscreen/contracts';
import { FeedbackStore } from '@pneumoscreen/feedback';
import { MemoryObjectStore } from '@pneumoscreen/storage';
import type { StudyRecord } from '@pneumoscreen/studies';
import { httpAnswerFor } from '../http-errors.filter';
import { SubmitFeedbackUseCase } from './submit-feedback.use-case';

const RESULT: StudyResult = {
  studyId: 's1',
  bucket: 'scans',
  status: 'completed',
  decision: 'PNEUMONIA',
  modelVersion: 'v3',
  images: [
    { key: 'incoming/s1/a.jpeg', etag: 'ea', probability: 0.9, decision: 'PNEUMONIA', modelVersion: 'v3' },
    { key: 'incoming/s1/b.jpeg', etag: 'eb', error: 'not an image' },
    { key: 'incoming/s1/c.jpeg', etag: 'ec', probability: 0.1, decision: 'NORMAL' },
  ],
  submittedAt: '2026-03-01T00:00:00.000Z',
  completedAt: '2026-03-01T00:00:05.000Z',
  resultsKey: resultsKey('s1'),
};

function setup(studies: Record<string, Partial<StudyRecord>> = {}, env: Record<string, string> = {}, markFails = false) {
  const config = loadConfig({ S3_BUCKET: 'data', FEEDBACK_PREFIX: 'fb/', ...env });
  const store = new MemoryObjectStore();
  store.objects.set(`scans/${resultsKey('s1')}`, JSON.stringify(RESULT));
  const queued: Array<{ job: FeedbackJobData; objectsThen: string[] }> = [];
  const queue = { enqueue: async (job: FeedbackJobData) => void queued.push({ job, objectsThen: [...store.objects.keys()] }) };
  const repo = {
    get: async (id: string) => (studies[id] ? ({ studyId: id, createdAt: '', ...studies[id] } as StudyRecord) : null),
    objects: async (id: string) => [{ key: `incoming/${id}/a.jpeg`, etag: 'e' }],
  };
  const clock = { now: () => new Date('2026-03-02T10:00:00.000Z') };
  const noted: Array<Pick<FeedbackJobData, 'studyId' | 'images' | 'label'>> = [];
  const labelled = {
    note: async (job: FeedbackJobData) => {
      if (markFails) throw new Error('Redis went away');
      noted.push(job);
    },
    of: async () => new Map(),
  };
  const feedback = new SubmitFeedbackUseCase(config, store, repo, new FeedbackStore(store, 'data', 'fb/'), queue, clock, labelled);
  const useCase = { execute: (req: FeedbackRequest, tenant = config.tenants[0]!) => feedback.execute(req, tenant) };
  return { useCase, store, queued, config, noted };
}

const base = { studyId: 's1', bucket: 'scans', label: 'NORMAL', readerId: 'dr-7' } as const;

async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const e = await p.then(
    () => assert.fail('expected a refusal'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof DomainError, String(e));
  const { status, message } = httpAnswerFor(e)!;
  return { status, message };
}

test('an image label queues that image as the study result named it', async () => {
  const { useCase, queued } = setup();
  const accepted = await useCase.execute({ ...base, key: 'incoming/s1/a.jpeg' });
  assert.deepEqual(accepted, { feedbackId: queued[0]!.job.feedbackId, studyId: 's1', images: 1 });
  const job = FeedbackJobData.parse(queued[0]!.job);
  assert.deepEqual(job, {
    feedbackId: accepted.feedbackId,
    studyId: 's1',
    bucket: 'scans',
    scope: 'image',
    images: [{ key: 'incoming/s1/a.jpeg', etag: 'ea', modelVersion: 'v3', probability: 0.9 }],
    label: 'NORMAL',
    readerId: 'dr-7',
    receivedAt: '2026-03-02T10:00:00.000Z',
  });
});

test('a study label covers every image that has a probability, and only those', async () => {
  const { useCase, queued } = setup();
  assert.equal((await useCase.execute({ ...base, label: 'PNEUMONIA' })).images, 2);
  const { job } = queued[0]!;
  assert.equal(job.scope, 'study');
  assert.deepEqual(
    job.images.map((i) => [i.key, i.etag, i.modelVersion]),
    [
      ['incoming/s1/a.jpeg', 'ea', 'v3'],
      ['incoming/s1/c.jpeg', 'ec', 'v3'],
    ],
  );
});

test('the comment is stored in the data bucket before the job is queued, and only its key travels', async () => {
  const { useCase, store, queued } = setup();
  const comment = 'Patient Jane Roe: consolidation missed';
  const { feedbackId } = await useCase.execute({ ...base, comment });
  const { job, objectsThen } = queued[0]!;
  assert.equal(job.commentKey, `fb/comments/${feedbackId}.json`);
  assert.ok(objectsThen.includes(`data/${job.commentKey}`), 'comment written before enqueueing');
  assert.deepEqual(JSON.parse(store.objects.get(`data/${job.commentKey}`)!), { feedbackId, comment });
  assert.ok(!JSON.stringify(job).includes('Jane'), 'no comment text in the job');
});

test('without a comment nothing is written and the job has no comment key', async () => {
  const { useCase, store, queued } = setup();
  await useCase.execute(base);
  assert.equal(queued[0]!.job.commentKey, undefined);
  assert.deepEqual([...store.objects.keys()], [`scans/${resultsKey('s1')}`]);
});

test('the bucket defaults to S3_BUCKET', async () => {
  const { useCase, store, queued } = setup();
  const { bucket: _, ...noBucket } = base;
  assert.deepEqual(await refusal(useCase.execute(noBucket)), { status: 404, message: 'no completed study s1 in bucket data' });
  store.objects.set(`data/${resultsKey('s1')}`, JSON.stringify({ ...RESULT, bucket: 'data' }));
  await useCase.execute(noBucket);
  assert.equal(queued[0]!.job.bucket, 'data');
});

test('refusals: unknown study, unfinished study, foreign key, unreadable image; none queues anything', async () => {
  const { useCase, store, queued } = setup({ s2: { bucket: 'scans', status: 'queued' }, s3: { bucket: 'other', status: 'queued' } });
  assert.deepEqual(await refusal(useCase.execute({ ...base, studyId: 'nope' })), {
    status: 404,
    message: 'no completed study nope in bucket scans',
  });
  assert.deepEqual(await refusal(useCase.execute({ ...base, studyId: 's2' })), {
    status: 409,
    message: 'study s2 is not completed yet (queued); label it once its result is in',
  });
  assert.equal((await refusal(useCase.execute({ ...base, studyId: 's3' }))).status, 404, 'a study of another bucket is not this one');
  assert.deepEqual(await refusal(useCase.execute({ ...base, key: 'incoming/s9/a.jpeg', comment: 'x' })), {
    status: 404,
    message: 'incoming/s9/a.jpeg is not an image of study s1',
  });
  const unreadable = await refusal(useCase.execute({ ...base, key: 'incoming/s1/b.jpeg' }));
  assert.equal(unreadable.status, 422);
  assert.match(unreadable.message, /incoming\/s1\/b\.jpeg could not be read .* cannot be used for training/);
  assert.equal(queued.length, 0);
  assert.deepEqual([...store.objects.keys()], [`scans/${resultsKey('s1')}`], 'no comment stored for a refused label');
});

test('a study none of whose images could be read cannot be labelled', async () => {
  const { useCase, store } = setup();
  store.objects.set(`scans/${resultsKey('s1')}`, JSON.stringify({ ...RESULT, status: 'failed', images: [RESULT.images[1]] }));
  const r = await refusal(useCase.execute(base));
  assert.equal(r.status, 422);
  assert.equal(r.message, 'no image of study s1 could be read, so a label for it cannot be used for training');
});

test('a result object that is not the study result is an error, not a label', async () => {
  const { useCase, store } = setup();
  store.objects.set(`scans/${resultsKey('s1')}`, JSON.stringify({ ...RESULT, studyId: 's9' }));
  await assert.rejects(useCase.execute(base), /s3:\/\/scans\/results\/s1\.json is not the result of study s1/);
});

test("another tenant's study is answered as missing, whether its bucket is the caller's or not", async () => {
  const tenants = JSON.stringify([
    { id: 'a', locations: [{ bucket: 'scans', prefix: 'incoming/s1' }] },
    { id: 'b', locations: [{ bucket: 'b-own' }, { bucket: 'scans', prefix: 'incoming/b-' }] },
  ]);
  const { useCase, queued, config, store } = setup({}, { TENANTS: tenants });
  // Under TENANTS, tenant a's study s1 is a.s1 (its own id space).
  store.objects.set(`scans/${resultsKey('a.s1')}`, JSON.stringify({ ...RESULT, studyId: 'a.s1', resultsKey: resultsKey('a.s1') }));
  const [a, b] = config.tenants;
  assert.deepEqual(await refusal(useCase.execute(base, b)), { status: 404, message: 'no completed study b.s1 in bucket scans' });
  assert.deepEqual(await refusal(useCase.execute({ ...base, studyId: 'a.s1' }, b)), {
    status: 404,
    message: 'no completed study b.a.s1 in bucket scans',
  });
  assert.deepEqual(await refusal(useCase.execute({ ...base, bucket: undefined }, b)), {
    status: 404,
    message: 'no completed study b.s1 in bucket b-own',
  });
  assert.deepEqual(await refusal(useCase.execute({ ...base, bucket: 'b-own' }, a)), {
    status: 404,
    message: 'no completed study a.s1 in bucket b-own',
  });
  assert.equal(queued.length, 0);
  assert.equal((await useCase.execute(base, a)).images, 2);
});

test('a queued label is noted for the review worklist, and a label whose note fails is still accepted', async () => {
  const { useCase, queued, noted } = setup();
  await useCase.execute({ ...base, key: 'incoming/s1/a.jpeg', label: 'PNEUMONIA' });
  assert.deepEqual(
    noted.map((j) => [j.studyId, j.label, j.images.map((i) => [i.key, i.etag])]),
    [['s1', 'PNEUMONIA', [['incoming/s1/a.jpeg', 'ea']]]],
  );
  assert.equal(queued.length, 1);
  const failing = setup({}, {}, true);
  const accepted = await failing.useCase.execute({ ...base, key: 'incoming/s1/a.jpeg' });
  assert.equal(accepted.images, 1);
  assert.equal(failing.queued.length, 1);
});
