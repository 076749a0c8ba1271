import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RangedObjectStore } from '@pneumoscreen/storage';
import { TS, writeDicom, xray, type Item } from '@pneumoscreen/imaging/testing';
import { inspectObject, namedImage } from './study-of-object';

const UID = '1.2.826.0.1.3680043.9.7100.1';
const HASH = createHash('sha256').update(UID).digest('hex').slice(0, 32);
const MiB = 1024 * 1024;

/** One object in memory, answering header reads as a store does; records each read's limit. */
function storeOf(body: Buffer) {
  const reads: number[] = [];
  const store = {
    async getObjectHead(_bucket: string, _key: string, maxBytes: number) {
      reads.push(maxBytes);
      return { body: body.subarray(0, maxBytes), etag: 'e1', size: body.length };
    },
  } as unknown as RangedObjectStore;
  return { store, reads };
}

async function inspect(body: Buffer, maxBytes = 64 * MiB) {
  const { store, reads } = storeOf(body);
  return { ...(await inspectObject(store, 'b', 'k', maxBytes)), reads };
}

const chest = (extra: Item = []) => xray({ rows: 2, columns: 2, pixels: new Uint16Array(4), extra: [[0x0020000d, 'UI', UID], ...extra] });
const withFiller = (bytes: number) => writeDicom(chest([[0x00091010, 'OB', new Uint8Array(bytes)]]));

test('a DICOM file naming a StudyInstanceUID: its hash, from the first read', async () => {
  const file = writeDicom(chest());
  assert.deepEqual(await inspect(file), { uidDigest: HASH, etag: 'e1', size: file.length, reads: [64 * 1024] });
  const bare = writeDicom(chest(), { meta: false, transferSyntax: TS.implicit });
  assert.equal((await inspect(bare)).uidDigest, HASH, 'no preamble, no meta group, implicit VR');
});

test('what is not DICOM, names no UID, or is unreadable as a whole stays with its folder', async () => {
  assert.deepEqual(await inspect(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])), { etag: 'e1', size: 6, reads: [64 * 1024] });
  assert.equal((await inspect(Buffer.alloc(0))).uidDigest, undefined);
  assert.equal((await inspect(writeDicom(xray({ rows: 2, columns: 2, omit: [0x0020000d] })))).uidDigest, undefined);
  const cut = writeDicom(chest()).subarray(0, 300);
  assert.deepEqual((await inspect(cut)).reads, [64 * 1024], 'a file that is whole but broken is not read again');
  assert.equal((await inspect(cut)).uidDigest, undefined);
});

test('a longer header is read in growing steps, never past maxBytes', async () => {
  assert.deepEqual(await inspect(withFiller(3 * MiB)), {
    uidDigest: HASH,
    etag: 'e1',
    size: withFiller(3 * MiB).length,
    reads: [64 * 1024, MiB, 16 * MiB],
  });
  const beyond = await inspect(withFiller(3 * MiB), 2 * MiB);
  assert.equal(beyond.uidDigest, undefined, 'a header longer than the worker accepts: the folder study, which refuses it for size');
  assert.deepEqual(beyond.reads, [64 * 1024, MiB, 2 * MiB]);
});

test('a JPEG or PNG announced with its ETag and size needs no read; any other name, or a missing ETag or size, does', () => {
  assert.deepEqual(namedImage({ key: 'incoming/w/0.JPG', etag: '"ABC123"', size: 10, versionId: 'v1' }), {
    etag: 'abc123',
    size: 10,
    versionId: 'v1',
  });
  assert.deepEqual(namedImage({ key: 'incoming/w/0.png', etag: 'abc', size: 0 }), { etag: 'abc', size: 0 });
  for (const hint of [
    { key: 'incoming/w/0.dcm', etag: 'abc', size: 10 },
    { key: 'incoming/w/0', etag: 'abc', size: 10 },
    { key: 'incoming/w/jpeg', etag: 'abc', size: 10 },
    { key: 'incoming/w/0.jpeg', size: 10 },
    { key: 'incoming/w/0.jpeg', etag: 'abc' },
  ]) {
    assert.equal(namedImage(hint), undefined, hint.key);
  }
});
