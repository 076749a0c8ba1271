import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageJobData, StudyJobData } from '@pneumoscreen/contracts';
import type { StudyRepository } from '@pneumoscreen/studies';
import type { ModelPinning } from './model-pinning';
import type { StudyQueue } from './study-queue';
import { Registry } from 'prom-client';
import { PrometheusIngestMetrics } from '../metrics/ingest-metrics';
import { SubmitStudyUseCase } from './submit-study.use-case';

function setup(pinning?: ModelPinning) {
  const studies = {
    claimSubmission: async () => true,
    releaseSubmission: async () => undefined,
    get: async (studyId: string) => ({ studyId, bucket: 'scans', status: 'collecting', createdAt: '2025-01-01T00:00:00.000Z' }),
    objects: async () => [
      { key: 'a.jpeg', etag: '1' },
      { key: 'b.jpeg', etag: '2' },
    ],
  } as unknown as StudyRepository;
  const queued: Array<{ study: StudyJobData; images: ImageJobData[] }> = [];
  const queue: StudyQueue = { enqueue: async (study, images) => void queued.push({ study, images }), has: async () => queued.length > 0 };
  const clock = { now: () => new Date('2025-01-01T00:00:01.000Z') };
  const metrics = new PrometheusIngestMetrics(new Registry());
  return { queued, submit: new SubmitStudyUseCase(studies, queue, clock, metrics, pinning) };
}

test('the study and every image are pinned to the one version chosen for the study', async () => {
  const asked: string[] = [];
  const { queued, submit } = setup({ versionFor: async (id) => (asked.push(id), 'v2') });
  assert.equal(await submit.execute('s1'), true);
  assert.deepEqual(asked, ['s1'], 'the channels are consulted once per study');
  assert.equal(queued[0]!.study.modelVersion, 'v2');
  assert.deepEqual(
    queued[0]!.images.map((i) => i.modelVersion),
    ['v2', 'v2'],
  );
});

test('with no registry nothing is pinned, and workers use their own model', async () => {
  for (const pinning of [undefined, { versionFor: async () => undefined }]) {
    const { queued, submit } = setup(pinning);
    await submit.execute('s1');
    assert.equal(queued[0]!.study.modelVersion, undefined);
    assert.ok(queued[0]!.images.every((i) => i.modelVersion === undefined));
  }
});
