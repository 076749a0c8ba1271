import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PATIENT, TS, type Item, type WriteOptions } from '@pneumoscreen/imaging/testing';
import type { IngestReplica, IngestStack } from '../ingest.test-harness';
import { chestDicom, uidDigest } from './dicom-objects.test-harness';
import { JPEG, startGroupingStack, type GroupingStack } from './grouping.test-harness';

/** Every UID written, so the last test can look for each in Redis and the logs. */
const UIDS: string[] = [];

function dicom(uid: string | undefined, extra: Item = [], opts: WriteOptions = {}): Buffer {
  if (uid) UIDS.push(uid);
  return chestDicom(uid, extra, opts);
}

describe('ingest groups DICOM objects by StudyInstanceUID (s3rver, real Redis)', () => {
  let stack: IngestStack;
  let ingest: IngestReplica;
  let uidHash: GroupingStack['uidHash'];
  let drop: GroupingStack['drop'];
  let queuedStudy: GroupingStack['queuedStudy'];

  before(async () => void ({ stack, ingest, uidHash, drop, queuedStudy } = await startGroupingStack()));
  after(async () => stack?.close());

  test("DICOMs join their UID's study across folders, other files their folder's; the manifest readies every one", async () => {
    const [a, b] = ['1.2.826.0.1.3680043.9.7001.1', '1.2.826.0.1.3680043.9.7001.2'];
    assert.deepEqual(await drop('ward-2', { 'd.dcm': dicom(a) }), ['recorded']);
    const outcomes = await drop('ward-1', {
      'a.dcm': dicom(a),
      'b.dcm': dicom(a, [], { meta: false, transferSyntax: TS.implicit }),
      'c.dcm': dicom(b),
      'photo.jpeg': JPEG,
      'no-uid.dcm': dicom(undefined),
      'manifest.json': JSON.stringify({ externalRef: 'ref-w1', callbackUrl: 'https://hooks.example.org/w1' }),
    });
    assert.deepEqual(outcomes, ['recorded', 'recorded', 'recorded', 'recorded', 'recorded', 'manifest']);

    const byUid = await queuedStudy(uidHash(a));
    assert.deepEqual(byUid.keys, ['incoming/ward-1/a.dcm', 'incoming/ward-1/b.dcm', 'incoming/ward-2/d.dcm']);
    assert.equal(byUid.study?.imageCount, 3);
    assert.equal(byUid.study?.externalRef, 'ref-w1');
    assert.equal(byUid.study?.callbackUrl, 'https://hooks.example.org/w1');
    assert.deepEqual((await queuedStudy(uidHash(b))).keys, ['incoming/ward-1/c.dcm']);
    const folder = await queuedStudy('ward-1');
    assert.deepEqual(folder.keys, ['incoming/ward-1/no-uid.dcm', 'incoming/ward-1/photo.jpeg']);
    assert.equal(folder.study?.externalRef, 'ref-w1');
    assert.equal((await queuedStudy('ward-2')).study, undefined, 'ward-2 has no study of its own, nor a manifest');
  });

  test('duplicate events, two replicas and their reconcilers record each object once and queue each study once', async () => {
    const uid = '1.2.826.0.1.3680043.9.7002.1';
    const other = stack.replica();
    const files = { '1.dcm': dicom(uid), '2.dcm': dicom(uid), '3.dcm': dicom(uid), 'x.jpeg': JPEG };
    for (const [name, body] of Object.entries(files)) await stack.put(`incoming/ward-3/${name}`, body);
    const keys = Object.keys(files).map((name) => `incoming/ward-3/${name}`);
    await Promise.all([ingest, other, ingest, other].flatMap((r) => keys.map((key) => r.record.execute({ bucket: 'scans', key }))));
    await stack.put('incoming/ward-3/manifest.json', '{}');
    await Promise.all([
      ...[ingest, other].map((r) => r.record.execute({ bucket: 'scans', key: 'incoming/ward-3/manifest.json' })),
      ingest.reconciler.reconcile(),
      other.reconciler.reconcile(),
    ]);

    const byUid = await queuedStudy(uidHash(uid));
    assert.deepEqual(byUid.keys, keys.slice(0, 3));
    assert.equal(byUid.study?.imageCount, 3, 'the study job counts each object once');
    assert.equal((await queuedStudy('ward-3')).study?.imageCount, 1);
    const reads = ingest.store.reads.length + other.store.reads.length;
    assert.equal(await ingest.reconciler.reconcile(), 0);
    assert.equal(ingest.store.reads.length + other.store.reads.length, reads, 'a listing reads no placed object again');
  });

  test('a header longer than the first read is read further, whether the read ends inside an element or between two', async () => {
    const [inside, between] = ['1.2.826.0.1.3680043.9.7003.1', '1.2.826.0.1.3680043.9.7003.2'];
    const long = dicom(inside, [[0x00091010, 'OB', new Uint8Array(200_000)]]);
    assert.deepEqual(
      await drop('ward-4', {
        'long.dcm': long,
        'between.dcm': uidAt(65_536, between),
        'big.jpeg': Buffer.concat([JPEG, Buffer.alloc(100_000)]),
      }),
      ['recorded', 'recorded', 'recorded'],
    );
    const reads = (name: string) => ingest.store.reads.filter((r) => r.key === `incoming/ward-4/${name}`).map((r) => r.maxBytes);
    assert.deepEqual(reads('long.dcm'), [65_536, 1_048_576]);
    assert.deepEqual(reads('between.dcm'), [65_536, 1_048_576]);
    assert.deepEqual(reads('big.jpeg'), [65_536], 'what is not DICOM needs no second read');

    await drop('ward-4', { 'manifest.json': '{}' });
    assert.deepEqual((await queuedStudy(uidHash(inside))).keys, ['incoming/ward-4/long.dcm']);
    assert.deepEqual((await queuedStudy(uidHash(between))).keys, ['incoming/ward-4/between.dcm']);
    assert.deepEqual((await queuedStudy('ward-4')).keys, ['incoming/ward-4/big.jpeg']);
  });

  test("DICOMs recorded after their folder's manifest take its options and wait for the quiet period", async () => {
    const uid = '1.2.826.0.1.3680043.9.7004.1';
    assert.deepEqual(await drop('ward-5', { 'manifest.json': JSON.stringify({ externalRef: 'early' }) }), ['manifest']);
    assert.ok(stack.logs.some((l) => /folder ward-5: manifest.json arrived before any image/.test(l)));
    assert.deepEqual(await drop('ward-5', { 'e.dcm': dicom(uid) }), ['recorded']);
    assert.equal((await queuedStudy(uidHash(uid))).study, undefined, 'not queued while more of it may be on its way');

    stack.clock.advance(30_001);
    await ingest.reconciler.sweep();
    const { study, keys } = await queuedStudy(uidHash(uid));
    assert.deepEqual(keys, ['incoming/ward-5/e.dcm']);
    assert.equal(study?.externalRef, 'early');
  });

  test('with no events, a listing records the objects that sort after manifest.json before the manifest readies them', async () => {
    const uid = '1.2.826.0.1.3680043.9.7005.1';
    for (const [name, body] of Object.entries({ 'a.dcm': dicom(uid), 'manifest.json': '{}', 'z.dcm': dicom(uid) })) {
      await stack.put(`incoming/ward-6/${name}`, body);
    }
    assert.ok((await ingest.reconciler.reconcile()) >= 3);
    assert.deepEqual((await queuedStudy(uidHash(uid))).keys, ['incoming/ward-6/a.dcm', 'incoming/ward-6/z.dcm']);
  });

  test("a manifest's first sighting records its folder's unrecorded objects before it queues them", async () => {
    // Their events lost, or answered just before Redis lost its last second of writes: only the
    // store still knows of them. Found by `npm run reliability` (a Redis crash, appendfsync everysec).
    const uid = '1.2.826.0.1.3680043.9.7009.1';
    for (const [name, body] of Object.entries({ 'a.jpeg': JPEG, 'b.dcm': dicom(uid) })) await stack.put(`incoming/ward-20/${name}`, body);
    assert.deepEqual(await drop('ward-20', { 'manifest.json': '{}' }), ['manifest']);
    assert.deepEqual((await queuedStudy('ward-20')).keys, ['incoming/ward-20/a.jpeg']);
    assert.deepEqual((await queuedStudy(uidHash(uid))).keys, ['incoming/ward-20/b.dcm']);
  });

  test('a JPEG announced with its ETag and size joins its folder unread; a DICOM named .dcm is still read', async () => {
    const uid = '1.2.826.0.1.3680043.9.7006.1';
    const announced = async (name: string, body: Buffer) => {
      const key = `incoming/ward-8/${name}`;
      const { etag } = await stack.put(key, body);
      return ingest.record.execute({ bucket: 'scans', key, etag, size: body.length });
    };
    assert.deepEqual([await announced('a.jpeg', JPEG), await announced('b.dcm', dicom(uid))], ['recorded', 'recorded']);
    const reads = ingest.store.reads.filter((r) => r.key.startsWith('incoming/ward-8/')).map((r) => r.key);
    assert.deepEqual(reads, ['incoming/ward-8/b.dcm']);
    await drop('ward-8', { 'manifest.json': '{}' });
    assert.deepEqual((await queuedStudy('ward-8')).keys, ['incoming/ward-8/a.jpeg']);
    assert.deepEqual((await queuedStudy(uidHash(uid))).keys, ['incoming/ward-8/b.dcm']);
  });

  test('no patient attribute and no raw StudyInstanceUID reaches Redis, the queued jobs or the logs', async () => {
    const everything = [await stack.redisText(), ...stack.logs].join('\n');
    assert.ok(
      stack.logs.some((l) => /joined study [0-9a-f]{32} by its StudyInstanceUID/.test(l)),
      'the debug log was captured',
    );
    for (const secret of [...Object.values(PATIENT), ...UIDS, ...UIDS.map(uidDigest)])
      assert.ok(!everything.includes(secret), `${secret} was stored or logged`);
  });
});

/** An explicit VR file whose StudyInstanceUID element starts exactly at `offset`, so a read of
 * `offset` bytes ends between two elements and parses cleanly, without the UID. */
function uidAt(offset: number, uid: string): Buffer {
  const build = (fill: number) => dicom(uid, [[0x00091010, 'OB', new Uint8Array(fill)]]);
  const tag = Buffer.from([0x20, 0x00, 0x0d, 0x00]);
  const file = build(1000 + offset - build(1000).indexOf(tag));
  assert.equal(file.indexOf(tag), offset);
  return file;
}
