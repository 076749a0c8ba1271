import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resultsKey, type ImageResult, type StudyResult } from '@pneumoscreen/contracts';
import { IMAGES_PER_STUDY, rankWorklist, uncertainty } from './worklist';

const judged = (key: string, probability: number, extra: Partial<ImageResult> = {}): ImageResult => ({
  key,
  etag: `e-${key}`,
  probability,
  decision: probability >= 0.6 ? 'PNEUMONIA' : 'NORMAL',
  modelVersion: 'v1',
  ...extra,
});

const study = (studyId: string, images: ImageResult[], completedAt = '2026-12-07T10:00:00.000Z'): StudyResult => ({
  studyId,
  bucket: 'scans',
  status: 'completed',
  modelVersion: 'v1',
  threshold: 0.6,
  thresholdSource: 'model',
  images,
  submittedAt: '2026-12-07T09:59:00.000Z',
  completedAt,
  resultsKey: resultsKey(studyId),
});

const url = { heatmapUrl: (r: StudyResult, i: number) => `/h/${r.studyId}/${i}`, labels: new Map() };

describe('review worklist order', () => {
  test('not assessed and flagged images come first, then judged ones by their distance from the threshold, unreadable ones last', () => {
    assert.deepEqual(
      uncertainty({ key: 'a', etag: 'e', decision: 'NOT_ASSESSED', outOfScope: { reason: 'lateral', score: 1 } }, 0.6),
      [0, 0],
    );
    assert.deepEqual(uncertainty(judged('b', 0.9, { scopeFlag: { reason: 'unlike-training-data', score: 0.9 } }), 0.6)[0], 0);
    const [tier, margin] = uncertainty(judged('c', 0.55), 0.6);
    assert.equal(tier, 1);
    assert.ok(Math.abs(margin - 0.05) < 1e-9);
    assert.deepEqual(uncertainty({ key: 'd', etag: 'e', error: 'not an image' }, 0.6), [2, 0]);
  });

  test('studies are ordered by their most uncertain image, and their images likewise', () => {
    const sure = study('sure', [judged('sure/a', 0.02), judged('sure/b', 0.99)]);
    const close = study('close', [judged('close/a', 0.97), judged('close/b', 0.58)]);
    const out = study('out', [
      judged('out/a', 0.1),
      {
        key: 'out/b',
        etag: 'e',
        decision: 'NOT_ASSESSED',
        outOfScope: { reason: 'not-chest', score: 2 },
        heatmap: { unavailable: 'not-assessed' },
      },
    ]);
    const broken = study('broken', [{ key: 'broken/a', etag: 'e', error: 'truncated JPEG' }]);
    const list = rankWorklist([sure, broken, close, out], url);
    assert.deepEqual(
      list.map((s) => s.studyId),
      ['out', 'close', 'sure', 'broken'],
    );
    assert.deepEqual(
      list[0]!.images.map((i) => [i.key, i.index, i.outOfScope, i.labelable]),
      [
        ['out/b', 1, 'not-chest', false],
        ['out/a', 0, undefined, true],
      ],
    );
    assert.deepEqual(
      list[1]!.images.map((i) => i.key),
      ['close/b', 'close/a'],
    );
    assert.equal(list[3]!.images[0]!.error, 'truncated JPEG');
  });

  test('among equally uncertain studies the newer comes first', () => {
    const older = study('older', [judged('o/a', 0.3)], '2026-12-07T09:00:00.000Z');
    const newer = study('newer', [judged('n/a', 0.3)], '2026-12-07T11:00:00.000Z');
    assert.deepEqual(
      rankWorklist([older, newer], url).map((s) => s.studyId),
      ['newer', 'older'],
    );
  });

  test("each image names its heatmap's URL, or why it has none", () => {
    const s = study('h', [
      judged('h/a', 0.5, { heatmap: { key: 'results/h/a.heatmap.png' } }),
      judged('h/b', 0.4, { heatmap: { unavailable: 'engine' } }),
      judged('h/c', 0.3),
    ]);
    const [view] = rankWorklist([s], url);
    assert.deepEqual(
      view!.images.map((i) => i.heatmap),
      [{ url: '/h/h/0' }, { unavailable: 'engine' }, { unavailable: 'none' }],
    );
  });

  test("an image's threshold is its own, else the study's", () => {
    const s = study('t', [judged('t/a', 0.5, { threshold: 0.45 }), judged('t/b', 0.5)]);
    // 0.5 is 0.05 from its own threshold and 0.1 from the study's: it is the more uncertain.
    assert.deepEqual(
      rankWorklist([s], url)[0]!.images.map((i) => [i.key, i.threshold]),
      [
        ['t/a', 0.45],
        ['t/b', 0.6],
      ],
    );
  });

  test('a large study shows its most uncertain images and counts the rest', () => {
    const images = Array.from({ length: IMAGES_PER_STUDY + 3 }, (_, i) => judged(`big/${i}`, i / 100));
    const [view] = rankWorklist([study('big', images)], url);
    assert.equal(view!.images.length, IMAGES_PER_STUDY);
    assert.equal(view!.moreImages, 3);
    assert.equal(view!.images[0]!.key, `big/${IMAGES_PER_STUDY + 2}`, 'the closest to 0.6 first');
  });

  test('labelled images go behind every unlabelled one, for the bytes they were labelled for only', () => {
    const close = study('close', [judged('close/a', 0.59), judged('close/b', 0.9)]);
    const far = study('far', [judged('far/a', 0.1)]);
    const labels = new Map([
      [
        'close',
        new Map([
          ['close/a', { label: 'PNEUMONIA' as const, etag: 'e-close/a' }],
          ['close/b', { label: 'NORMAL' as const, etag: 'an older version' }],
        ]),
      ],
    ]);
    const list = rankWorklist([close, far], { ...url, labels });
    assert.deepEqual(
      list.map((s) => s.studyId),
      ['close', 'far'],
      "close/b is unlabelled (its label was for other bytes) and nearer the threshold than far's",
    );
    assert.deepEqual(
      list[0]!.images.map((i) => [i.key, i.labelled]),
      [
        ['close/b', undefined],
        ['close/a', 'PNEUMONIA'],
      ],
    );
    const allDone = new Map([
      [
        'close',
        new Map([
          ['close/a', { label: 'PNEUMONIA' as const, etag: 'e-close/a' }],
          ['close/b', { label: 'NORMAL' as const, etag: 'e-close/b' }],
        ]),
      ],
    ]);
    assert.deepEqual(
      rankWorklist([close, far], { ...url, labels: allDone }).map((s) => s.studyId),
      ['far', 'close'],
    );
  });
});
