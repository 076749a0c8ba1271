import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseStudy } from './summarise';

const study = { studyId: 's1', bucket: 'b', imageCount: 3, submittedAt: '2026-01-01T00:00:00.000Z' };
const at = new Date('2026-01-01T00:01:00Z');

describe('summariseStudy', () => {
  test('positive when any image is, with the highest probability', () => {
    const r = summariseStudy(
      study,
      [
        { key: 'b.jpg', etag: 'e', probability: 0.2, decision: 'NORMAL', modelVersion: 'v1' },
        { key: 'a.jpg', etag: 'e', probability: 0.9, decision: 'PNEUMONIA', modelVersion: 'v1' },
        { key: 'c.jpg', etag: 'e', error: 'not an image' },
      ],
      at,
    );
    assert.equal(r.status, 'completed');
    assert.equal(r.decision, 'PNEUMONIA');
    assert.equal(r.maxProbability, 0.9);
    assert.deepEqual(
      r.images.map((i) => i.key),
      ['a.jpg', 'b.jpg', 'c.jpg'],
    );
    assert.equal(r.resultsKey, 'results/s1.json');
  });

  test("says why the folder's manifest was not used, and nothing when it was", () => {
    const images = [{ key: 'a', etag: 'e', probability: 0.3, decision: 'NORMAL' as const }];
    assert.equal(summariseStudy({ ...study, manifestIgnored: 'not valid JSON' }, images, at).manifestIgnored, 'not valid JSON');
    assert.equal('manifestIgnored' in summariseStudy(study, images, at), false);
  });

  test('negative when every judged image is', () => {
    const r = summariseStudy(study, [{ key: 'a', etag: 'e', probability: 0.3, decision: 'NORMAL' }], at);
    assert.equal(r.decision, 'NORMAL');
  });

  test('failed when no image could be judged', () => {
    const r = summariseStudy(study, [{ key: 'a', etag: 'e', error: 'corrupt' }], at);
    assert.equal(r.status, 'failed');
    assert.equal(r.decision, undefined);
    assert.equal(r.maxProbability, undefined);
  });
});

describe('summariseStudy with images outside the intended use', () => {
  const outside = (key: string, reason: 'adult' | 'lateral' | 'unlike-training-data') => ({
    key,
    etag: 'e',
    decision: 'NOT_ASSESSED' as const,
    outOfScope: { reason, score: 1.4 },
    modelVersion: 'v1',
  });

  test('decided on the assessed images alone, with the others counted by reason', () => {
    const r = summariseStudy(
      study,
      [
        { key: 'a', etag: 'e', probability: 0.3, decision: 'NORMAL', modelVersion: 'v1' },
        outside('b', 'lateral'),
        outside('c', 'lateral'),
        outside('d', 'adult'),
      ],
      at,
    );
    assert.deepEqual([r.status, r.decision, r.maxProbability], ['completed', 'NORMAL', 0.3]);
    assert.deepEqual(r.outOfScope, { count: 3, reasons: { lateral: 2, adult: 1 } });
  });

  test('NOT_ASSESSED, not failed, when every image read is out of scope', () => {
    const r = summariseStudy(
      study,
      [outside('a', 'adult'), outside('b', 'unlike-training-data'), { key: 'c', etag: 'e', error: 'corrupt' }],
      at,
    );
    assert.deepEqual([r.status, r.decision, r.maxProbability, r.modelVersion], ['completed', 'NOT_ASSESSED', undefined, 'v1']);
    assert.deepEqual(r.outOfScope, { count: 2, reasons: { adult: 1, 'unlike-training-data': 1 } });
  });

  test('no outOfScope field when every image is in scope', () => {
    const r = summariseStudy(study, [{ key: 'a', etag: 'e', probability: 0.3, decision: 'NORMAL' }], at);
    assert.equal('outOfScope' in r, false);
  });
});

describe('summariseStudy at a site threshold', () => {
  const site = {
    model: 'm',
    version: 'v1',
    site: 'b',
    threshold: 0.5,
    targetSensitivity: 0.95,
    n: 40,
    sensitivity: { value: 0.95, low: 0.76, high: 0.99, count: 19, of: 20 },
    specificity: { value: 0.85, low: 0.64, high: 0.95, count: 17, of: 20 },
    auc: 0.97,
    source: 'data' as const,
    fittedAt: '2026-01-01T00:00:00.000Z',
  };

  test('re-decides only images of the calibrated version; a score equal to the threshold is positive', () => {
    const r = summariseStudy(
      study,
      [
        { key: 'a', etag: 'e', probability: 0.5, decision: 'NORMAL', threshold: 0.8, modelVersion: 'v1' },
        { key: 'b', etag: 'e', probability: 0.6, decision: 'NORMAL', threshold: 0.8, modelVersion: 'v0' },
        { key: 'c', etag: 'e', error: 'corrupt' },
      ],
      at,
      site,
    );
    assert.deepEqual(
      r.images.map((i) => [i.key, i.decision, i.threshold]),
      [
        ['a', 'PNEUMONIA', 0.5],
        ['b', 'NORMAL', 0.8],
        ['c', undefined, undefined],
      ],
    );
    assert.deepEqual([r.decision, r.threshold, r.thresholdSource], ['PNEUMONIA', 0.5, 'site:b']);
  });

  test("records the version's own threshold when there is no site calibration, and none when images carry none", () => {
    const own = summariseStudy(
      study,
      [{ key: 'a', etag: 'e', probability: 0.3, decision: 'NORMAL', threshold: 0.8, modelVersion: 'v1' }],
      at,
    );
    assert.deepEqual([own.threshold, own.thresholdSource], [0.8, 'model']);
    const old = summariseStudy(study, [{ key: 'a', etag: 'e', probability: 0.3, decision: 'NORMAL', modelVersion: 'v1' }], at);
    assert.equal('threshold' in old || 'thresholdSource' in old, false);
  });
});
