import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TenantConfig } from '@pneumoscreen/config';
import { resultsKey, type ImageResult, type StudyResult } from '@pneumoscreen/contracts';
import type { FinishedStudy } from '@pneumoscreen/studies';
import { BuildWorklistUseCase } from './build-worklist.use-case';
import { GetHeatmapUseCase } from './get-heatmap.use-case';
import type { StudyResults } from './study-results';

const tenant = (id: string, prefix: string): TenantConfig => ({
  id,
  locations: [{ bucket: 'shared', prefix }],
  endpoints: [],
  callbackHosts: [],
  callbackSecrets: [],
  apiKeys: [],
});
const a = tenant('a', 'incoming/a-');
const now = new Date('2026-12-07T12:00:00Z');

const result = (studyId: string, keys: string[], bucket = 'shared', heatmap?: ImageResult['heatmap']): StudyResult => ({
  studyId,
  bucket,
  status: 'completed',
  images: keys.map((key) => ({ key, etag: 'e', probability: 0.5, decision: 'NORMAL', ...(heatmap ? { heatmap } : {}) })),
  submittedAt: now.toISOString(),
  completedAt: now.toISOString(),
  resultsKey: resultsKey(studyId),
});

/** Results and PNGs held in memory; a result is found by its study id wherever it is asked for, as a
 * copied or tampered-with object would be. */
function resultsOf(held: StudyResult[], pngs: Record<string, string> = {}): StudyResults & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    result: async (_bucket, studyId) => held.find((r) => r.studyId === studyId) ?? null,
    heatmap: async (bucket, key) => (asked.push(`${bucket}/${key}`), pngs[key] === undefined ? null : Buffer.from(pngs[key]!)),
  };
}

describe('BuildWorklistUseCase', () => {
  test("lists the tenant's finished studies from their results, leaving out gone ones, any whose images are not all the tenant's and any that names another bucket", async () => {
    const finished: FinishedStudy[] = ['mine', 'gone', 'straddles', 'moved'].map((studyId) => ({
      studyId,
      bucket: 'shared',
      completedAt: now,
    }));
    const asked: Array<[string, number]> = [];
    const studies = { recentlyFinished: async (tenantId: string, limit: number) => (asked.push([tenantId, limit]), finished) };
    const results = resultsOf([
      result('mine', ['incoming/a-1/x.jpeg']),
      result('straddles', ['incoming/a-2/x.jpeg', 'incoming/b-2/y.jpeg']),
      result('moved', ['incoming/a-3/x.jpeg'], 'elsewhere'),
    ]);
    const useCase = new BuildWorklistUseCase(studies, results, { now: () => now }, { of: async () => new Map() });
    const list = await useCase.execute(a, 20);
    assert.deepEqual(asked, [['a', 20]]);
    assert.deepEqual(
      list.map((s) => s.studyId),
      ['mine'],
    );
  });
});

describe('GetHeatmapUseCase', () => {
  const png = { 'results/s1/x.heatmap.png': 'png-bytes', 'incoming/b-9/secret.jpeg': 'not yours' };
  const held = [
    result('s1', ['incoming/a-1/x.jpeg'], 'shared', { key: 'results/s1/x.heatmap.png' }),
    result('s2', ['incoming/b-1/x.jpeg'], 'shared', { key: 'results/s2/x.heatmap.png' }),
    result('s3', ['incoming/a-3/x.jpeg'], 'shared', { key: 'incoming/b-9/secret.jpeg' }),
    result('s4', ['incoming/a-4/x.jpeg'], 'shared', { unavailable: 'engine' }),
  ];

  test("serves the heatmap the tenant's own study names", async () => {
    const results = resultsOf(held, png);
    assert.equal((await new GetHeatmapUseCase(results).execute(a, 'shared', 's1', 0))?.toString(), 'png-bytes');
  });

  test("answers nothing for another tenant's study, a key outside the study's results, an image without a heatmap, or one that is not there", async () => {
    const results = resultsOf(held, png);
    const get = (bucket: string, studyId: string, index: number) => new GetHeatmapUseCase(results).execute(a, bucket, studyId, index);
    assert.equal(await get('shared', 's2', 0), null);
    assert.equal(await get('shared', 's3', 0), null);
    assert.equal(await get('shared', 's4', 0), null);
    assert.equal(await get('shared', 's1', 1), null);
    assert.equal(await get('other-bucket', 's1', 0), null);
    assert.equal(await get('shared', '../s1', 0), null);
    assert.deepEqual(results.asked, [], 'no object was read for any of them');
  });
});
