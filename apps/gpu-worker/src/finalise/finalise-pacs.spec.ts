import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@pneumoscreen/config';
import { StudyResult, type ImageResult, type NewWebhookJobData, type PacsJobData, type StudyJobData } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { StudyRepository } from '@pneumoscreen/studies';
import { FinaliseStudyUseCase } from './finalise-study.use-case';
import { NO_SITE_CALIBRATIONS } from './site-calibrations';

Logger.overrideLogger(false);
const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const images: ImageResult[] = [
  {
    key: 'incoming/s1/a.dcm',
    etag: 'e',
    probability: 0.9,
    decision: 'PNEUMONIA',
    modelVersion: 'v1',
    dicom: { secondaryCapture: { key: 'results/s1/a.dcm-1.heatmap.dcm' } },
  },
  { key: 'incoming/s1/b.dcm', etag: 'e', probability: 0.1, decision: 'NORMAL', modelVersion: 'v1', dicom: {} },
];
const job: StudyJobData = { studyId: 's1', bucket: 'hospital-a', imageCount: 2, submittedAt: '2025-06-01T11:59:00Z' };

async function finalise(env: Record<string, string>) {
  const written = new Map<string, string>();
  const pushes: Array<{ push: PacsJobData; completedAt: string }> = [];
  const webhooks: NewWebhookJobData[] = [];
  const store = {
    putObject: async (_b: string, key: string, body: string) => (written.set(key, body), { etag: 'r' }),
  } as unknown as ObjectStore;
  const studies = { complete: async () => undefined, get: async () => null } as unknown as StudyRepository;
  const useCase = new FinaliseStudyUseCase(
    loadConfig({ WEBHOOK_SECRET: secret, WEBHOOK_URL: 'https://ops.example.org/', ...env }),
    store,
    studies,
    { enqueue: async (m) => void webhooks.push(m) },
    { now: () => new Date('2025-06-01T12:00:00Z') },
    NO_SITE_CALIBRATIONS,
    { idFor: async () => 'msg_1' },
    { write: async () => ({ structuredReport: { key: 'results/s1.sr.dcm' } }) },
    { enqueue: async (push, completedAt) => void pushes.push({ push, completedAt }) },
  );
  const result = await useCase.execute(job, images);
  return { result, stored: StudyResult.parse(JSON.parse(written.get('results/s1.json')!)), pushes, webhooks };
}

test('with DICOMWEB_STOW_URL, the SR and each Secondary Capture are queued for the PACS, and the result and webhook say where its outcome will be', async () => {
  const { result, stored, pushes, webhooks } = await finalise({ DICOMWEB_STOW_URL: 'https://pacs.example.org/dicom-web' });
  const pacs = { status: 'queued', statusKey: 'results/s1.pacs.json' };
  assert.deepEqual(result.dicom, { structuredReport: { key: 'results/s1.sr.dcm' }, pacs });
  assert.deepEqual(stored.dicom?.pacs, pacs);
  assert.deepEqual(pushes, [
    {
      push: {
        studyId: 's1',
        bucket: 'hospital-a',
        keys: ['results/s1.sr.dcm', 'results/s1/a.dcm-1.heatmap.dcm'],
        statusKey: 'results/s1.pacs.json',
      },
      completedAt: '2025-06-01T12:00:00.000Z',
    },
  ]);
  assert.deepEqual(JSON.parse(webhooks[0]!.body).data.dicom.pacs, pacs);
});

test('without it, nothing is queued and the result names no PACS', async () => {
  const { result, pushes } = await finalise({});
  assert.deepEqual(result.dicom, { structuredReport: { key: 'results/s1.sr.dcm' } });
  assert.deepEqual(pushes, []);
});
