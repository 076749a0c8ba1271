import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ObjectNotFoundError, ObjectTooLargeError } from '@pneumoscreen/storage';
import { DirectoryObjectStore } from './directory-object-store';

async function store() {
  const root = await mkdtemp(path.join(tmpdir(), 'dir-store-'));
  return { root, store: new DirectoryObjectStore(root) };
}

async function keys(s: DirectoryObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of s.listObjects(bucket, prefix)) out.push(o.key);
  return out;
}

test('objects round-trip, and head and list agree with get on size and ETag', async () => {
  const { store: s } = await store();
  const { etag } = await s.putObject('b', 'm/v1/weights.bin', Buffer.from([1, 2, 3]));
  const got = await s.getObject('b', 'm/v1/weights.bin', { maxBytes: 3 });
  assert.deepEqual(got, { body: Buffer.from([1, 2, 3]), etag });
  assert.deepEqual(await s.headObject('b', 'm/v1/weights.bin'), { etag, size: 3 });
  const [listed] = await collect(s, 'b', 'm/');
  assert.equal(listed!.etag, etag);
  assert.equal(listed!.size, 3);
  await s.putObject('b', 'm/v1/weights.bin', 'changed');
  assert.notEqual((await s.headObject('b', 'm/v1/weights.bin'))!.etag, etag);
});

test('listing is in key order, filtered by prefix, and skips writes in progress', async () => {
  const { root, store: s } = await store();
  for (const k of ['m/v2/a', 'm/v1/b', 'm/v10/a', 'm/channels/production.json', 'mx/v1/a', 'n/a']) await s.putObject('b', k, k);
  await writeFile(path.join(root, 'b', 'm', 'v1', '.b.123-abcd'), 'half written');
  assert.deepEqual(await keys(s, 'b', 'm/'), ['m/channels/production.json', 'm/v1/b', 'm/v10/a', 'm/v2/a']);
  assert.deepEqual(await keys(s, 'b', 'm/v1'), ['m/v1/b', 'm/v10/a']);
  assert.deepEqual(await keys(s, 'b', 'nothing/'), []);
  assert.deepEqual(await keys(s, 'other-bucket', ''), []);
  assert.deepEqual(await readdir(path.join(root, 'b', 'm', 'v2')), ['a'], 'no temporary file is left by a put');
});

test('a missing object and an oversized one fail as the S3 store does', async () => {
  const { store: s } = await store();
  await s.putObject('b', 'big', Buffer.alloc(10));
  assert.equal(await s.headObject('b', 'none'), null);
  await assert.rejects(s.getObject('b', 'none', { maxBytes: 10 }), ObjectNotFoundError);
  await assert.rejects(s.getObject('b', 'big/inside', { maxBytes: 10 }), ObjectNotFoundError);
  await assert.rejects(s.getObject('b', 'big', { maxBytes: 9 }), (e: unknown) => e instanceof ObjectTooLargeError && e.size === 10);
});

test('a key that would name a file outside its place is refused', async () => {
  const { store: s } = await store();
  for (const key of ['../escape', 'a/../../escape', '.hidden', 'a//b', '']) {
    await assert.rejects(s.putObject('b', key, 'x'), /cannot be stored in a folder/, key);
  }
  await assert.rejects(s.getObject('..', 'x', { maxBytes: 1 }), /bucket: "\.\." cannot be stored/);
});

async function collect(s: DirectoryObjectStore, bucket: string, prefix: string) {
  const out = [];
  for await (const o of s.listObjects(bucket, prefix)) out.push(o);
  return out;
}
