import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseStudy } from './summarise';

const study = { studyId: 's1', bucket: 'b', imageCount: 3, submittedAt: '2026-01-01T00:00:00.000Z' };
const at = new Date('2026-01-01T00:01:00Z');

describe('summariseStudy', () => {
  test('positive when any image is, with the highest probability', () => {
    const r = summariseStudy(study, [
      { key: 'b.jpg', etag: 'e', probability: 0.2, decision: 'NORMAL', modelVersion: 'v1' },
      { key: 'a.jpg', etag: 'e', probability: 0.9, decision: 'PNEUMONIA', modelVersion: 'v1' },
      { key: 'c.jpg', etag: 'e', error: 'not an image' },
    ], at);
    assert.equal(r.status, 'completed');
    assert.equal(r.decision, 'PNEUMONIA');
    assert.equal(r.maxProbability, 0.9);
    assert.deepEqual(r.images.map((i) => i.key), ['a.jpg', 'b.jpg', 'c.jpg']);
    assert.equal(r.resultsKey, 'results/s1.json');
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
