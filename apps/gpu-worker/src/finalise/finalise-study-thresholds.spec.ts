import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StudyResult, type ImageResult, type SiteCalibration, type StudyJobData } from '@pneumoscreen/contracts';
import { useCaseWith } from './finalise-study.test-harness';
import type { SiteCalibrations } from './site-calibrations';

describe('FinaliseStudyUseCase: the threshold decisions are made at', () => {
  const study: StudyJobData = {
    studyId: 's2',
    bucket: 'hospital-a',
    imageCount: 2,
    submittedAt: '2025-06-01T11:59:00Z',
    modelVersion: 'v1',
  };
  const images: ImageResult[] = [
    { key: 'incoming/s2/a.jpeg', etag: 'e', probability: 0.55, decision: 'NORMAL', threshold: 0.78, modelVersion: 'v1' },
    { key: 'incoming/s2/b.jpeg', etag: 'e', probability: 0.2, decision: 'NORMAL', threshold: 0.78, modelVersion: 'v1' },
  ];
  const fitted = (site: string, version: string, threshold: number): SiteCalibration => ({
    model: 'pneumoscreen-pneumonia',
    version,
    site,
    threshold,
    targetSensitivity: 0.95,
    n: 40,
    sensitivity: { value: 0.95, low: 0.76, high: 0.99, count: 19, of: 20 },
    specificity: { value: 0.85, low: 0.64, high: 0.95, count: 17, of: 20 },
    auc: 0.97,
    source: 'data',
    fittedAt: '2025-05-01T00:00:00.000Z',
  });
  /** A fake port holding calibrations by version and site, recording what was asked. */
  const port = (...held: SiteCalibration[]) => {
    const asked: string[] = [];
    const calibrations: SiteCalibrations = {
      find: async (v, s) => (asked.push(`${v}/${s}`), held.find((c) => c.version === v && c.site === s) ?? null),
    };
    return { calibrations, asked };
  };

  test("the site's threshold re-decides each image from its probability, in the stored result too", async () => {
    const { calibrations, asked } = port(fitted('hospital-a', 'v1', 0.5));
    const { useCase, written, completed } = useCaseWith({}, calibrations);
    const result = await useCase.execute(study, images);
    assert.deepEqual(asked, ['v1/hospital-a']);
    assert.equal(result.decision, 'PNEUMONIA');
    assert.deepEqual([result.threshold, result.thresholdSource], [0.5, 'site:hospital-a']);
    assert.deepEqual(
      result.images.map((i) => [i.decision, i.threshold]),
      [
        ['PNEUMONIA', 0.5],
        ['NORMAL', 0.5],
      ],
    );
    const stored = StudyResult.parse(JSON.parse(written[0]!.body));
    assert.deepEqual([written[0]!.bucket, stored.decision, stored.thresholdSource], ['hospital-a', 'PNEUMONIA', 'site:hospital-a']);
    assert.equal((completed[0] as [string, string, string, { decision: string }])[3].decision, 'PNEUMONIA');
  });

  test("without a calibration for the study's site and version, the version's own threshold stands and is named", async () => {
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
    const positive: ImageResult = {
      key: 'incoming/s2/a.jpeg',
      etag: 'e',
      probability: 0.85,
      decision: 'PNEUMONIA',
      threshold: 0.78,
      modelVersion: 'v1',
    };
    const result = await useCase.execute({ ...study, modelVersion: undefined, imageCount: 1 }, [positive]);
    assert.deepEqual([result.decision, result.threshold, result.thresholdSource], ['NORMAL', 0.9, 'site:hospital-a']);
  });

  test('a study with no judged image asks for no calibration', async () => {
    const { calibrations, asked } = port(fitted('hospital-a', 'v1', 0.5));
    const { useCase } = useCaseWith({}, calibrations);
    const result = await useCase.execute({ ...study, modelVersion: undefined, imageCount: 1 }, [
      { key: 'incoming/s2/a.jpeg', etag: 'e', error: 'corrupt' },
    ]);
    assert.deepEqual(asked, []);
    assert.deepEqual([result.status, result.threshold, result.thresholdSource], ['failed', undefined, undefined]);
  });
});
