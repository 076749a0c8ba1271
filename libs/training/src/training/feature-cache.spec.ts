import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FeatureCache } from './feature-cache';
import { decodeHalfInto } from './float16';

const sha = (c: string) => c.repeat(64);
const values = (half: Uint16Array | undefined) => {
  const out = new Float32Array(half!.length);
  decodeHalfInto(half!, out);
  return Array.from(out);
};

test('activations survive a reopen as float16, and a torn last record is dropped', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'features-'));
  const cache = await FeatureCache.open(dir, 'k', 3);
  await cache.add([{ sha256: sha('a'), vector: new Float32Array([1, 2.5, 6]) }]);
  await cache.add([{ sha256: sha('b'), vector: new Float32Array([4, 5, 6]) }]);
  await appendFile(cache.file, Buffer.alloc(10, 7));

  const reopened = await FeatureCache.open(dir, 'k', 3);
  assert.deepEqual(values(reopened.get(sha('a'))), [1, 2.5, 6]);
  assert.deepEqual(values(reopened.get(sha('b'))), [4, 5, 6]);
  assert.equal((await stat(cache.file)).size, 2 * (32 + 3 * 2));
  await reopened.add([{ sha256: sha('c'), vector: new Float32Array([7, 8, 9]) }]);
  assert.deepEqual(values((await FeatureCache.open(dir, 'k', 3)).get(sha('c'))), [7, 8, 9]);
});

test('a different key is a different cache, and vectors of the wrong size are refused', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'features-'));
  const cache = await FeatureCache.open(dir, 'k', 2);
  await cache.add([{ sha256: sha('a'), vector: new Float32Array([1, 2]) }]);
  assert.equal((await FeatureCache.open(dir, 'other', 2)).get(sha('a')), undefined);
  await assert.rejects(cache.add([{ sha256: sha('b'), vector: new Float32Array([1]) }]), /1 values, cache holds 2/);
});

test('appends made at the same time keep their records whole', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'features-'));
  // Records larger than the 512 KiB chunks Node writes a buffer in.
  const dim = 300_000;
  const cache = await FeatureCache.open(dir, 'k', dim);
  const vector = (v: number) => new Float32Array(dim).fill(v);
  await Promise.all(['a', 'b', 'c', 'd'].map((c, i) => cache.add([{ sha256: sha(c), vector: vector(i) }])));
  const reopened = await FeatureCache.open(dir, 'k', dim);
  ['a', 'b', 'c', 'd'].forEach((c, i) =>
    assert.ok(
      values(reopened.get(sha(c))).every((v) => v === i),
      c,
    ),
  );
});
