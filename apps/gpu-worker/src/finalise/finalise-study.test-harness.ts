import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@pneumoscreen/config';
import { newMessageId, type ImageResult, type NewWebhookJobData, type StudyJobData } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { StudyRepository } from '@pneumoscreen/studies';
import type { MessageIds } from '@pneumoscreen/webhooks';
import { FinaliseStudyUseCase } from './finalise-study.use-case';
import { NO_SITE_CALIBRATIONS, type SiteCalibrations } from './site-calibrations';

// What the finalise specs share: a FinaliseStudyUseCase over small fakes, with logging off.
Logger.overrideLogger(false);

export const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
export const endpoints = JSON.stringify([
  { url: 'https://a.example.org/all', bucket: 'hospital-a' },
  { url: 'https://a.example.org/positives', bucket: 'hospital-a', events: ['study.completed'] },
]);
export const image: ImageResult = { key: 'incoming/s1/a.jpeg', etag: 'e', probability: 0.9, decision: 'PNEUMONIA', modelVersion: 'v1' };

// Drawn once per study event and kept, as RedisMessageIds does (its medium spec checks Redis).
const stored = new Map<string, string>();
const messageIds: MessageIds = {
  idFor: async (type, bucket, studyId) => {
    const key = `${type}/${bucket}/${studyId}`;
    if (!stored.has(key)) stored.set(key, newMessageId());
    return stored.get(key)!;
  },
};

/** The use case over fakes of its ports, recording what it queued, wrote and completed. */
export function useCaseWith(env: Record<string, string>, calibrations: SiteCalibrations = NO_SITE_CALIBRATIONS, lateObjects?: number) {
  const sent: NewWebhookJobData[] = [];
  const written: Array<{ bucket: string; key: string; body: string }> = [];
  const store = {
    putObject: async (bucket: string, key: string, body: string) => (written.push({ bucket, key, body }), { etag: 'r' }),
  } as unknown as ObjectStore;
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

/** Finalises a study of `images` and gives the webhook jobs it queued. */
export function finalise(env: Record<string, string>, study: Partial<StudyJobData> = {}, images: ImageResult[] = [image]) {
  const { useCase, sent } = useCaseWith(env);
  const job: StudyJobData = {
    studyId: 's1',
    bucket: 'hospital-a',
    imageCount: images.length,
    submittedAt: '2025-06-01T11:59:00Z',
    ...study,
  };
  return useCase.execute(job, images).then(() => sent);
}
