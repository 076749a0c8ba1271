import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FeatureCache } from './feature-cache';

const sha = (c: string) => c.repeat(64);

test('features survive a reopen, and a torn last record is dropped', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'features-'));
  const cache = await FeatureCache.open(dir, 'k', 3);
  await cache.add([{ sha256: sha('a'), vector: new Float32Array([1, 2, 3]) }]);
  await cache.add([{ sha256: sha('b'), vector: new Float32Array([4, 5, 6]) }]);
  await appendFile(cache.file, Buffer.alloc(10, 7));

  const reopened = await FeatureCache.open(dir, 'k', 3);
  assert.deepEqual(Array.from(reopened.get(sha('a'))!), [1, 2, 3]);
  assert.deepEqual(Array.from(reopened.get(sha('b'))!), [4, 5, 6]);
  assert.equal((await stat(cache.file)).size, 2 * (32 + 12));
  await reopened.add([{ sha256: sha('c'), vector: new Float32Array([7, 8, 9]) }]);
  assert.deepEqual(Array.from((await FeatureCache.open(dir, 'k', 3)).get(sha('c'))!), [7, 8, 9]);
});

test('a different key is a different cache, and vectors of the wrong size are refused', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'features-'));
  const cache = await FeatureCache.open(dir, 'k', 2);
  await cache.add([{ sha256: sha('a'), vector: new Float32Array([1, 2]) }]);
  assert.equal((await FeatureCache.open(dir, 'other', 2)).get(sha('a')), undefined);
  await assert.rejects(cache.add([{ sha256: sha('b'), vector: new Float32Array([1]) }]), /1 values, cache holds 2/);
});
