import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueName, studyJobId } from '@pneumoscreen/contracts';
import type { ObjectPrefix } from '@pneumoscreen/storage';
import { ReadCountingStore, startIngestStack, type IngestStack } from '../ingest.test-harness';

const REFUSED = 'incoming/refusing/b.dcm';

/** The real S3 adapter, answering one key as a bucket policy denying it would. */
class OneKeyRefusingStore extends ReadCountingStore {
  static refusing = true;
  override getObjectHead(bucket: string, key: string, maxBytes: number): Promise<ObjectPrefix> {
    if (key === REFUSED && OneKeyRefusingStore.refusing) {
      return Promise.reject(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    }
    return super.getObjectHead(bucket, key, maxBytes);
  }
}

describe('the reconciler goes on past failures and repairs lost enqueues (s3rver, real Redis)', () => {
  let stack: IngestStack;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

  before(async () => void (stack = await startIngestStack({ STUDY_REQUEUE_AFTER_MS: '60000' })));
  after(async () => {
    await stack?.close();
    redis.disconnect();
  });

  const queuedIds = async () => (await stack.queued()).studies.map((s) => s.studyId);

  test('an object the store refuses is counted and skipped; every key after it is recorded, and it is at the next pass', async () => {
    const ingest = stack.replica({ store: OneKeyRefusingStore });
    for (const key of ['incoming/refusing/a.dcm', REFUSED, 'incoming/refusing/c.dcm', 'incoming/zz-after/a.dcm'])
      await stack.put(key, 'not a DICOM file');
    assert.equal(await ingest.reconciler.reconcile(), 3);
    assert.match(await ingest.metrics(), /pneumoscreen_reconciler_errors_total 1/);
    assert.ok(stack.logs.some((l) => l.includes('an object of folder refusing could not be recorded: AccessDenied')));
    assert.ok(!stack.logs.some((l) => l.includes(REFUSED)), 'object keys stay out of the logs');
    OneKeyRefusingStore.refusing = false;
    assert.equal(await ingest.reconciler.reconcile(), 1);
    assert.equal((await ingest.studies.studyOfObject('scans', REFUSED))?.studyId, 'refusing');
  });

  test('a study that cannot be queued does not stop the sweep for the studies after it', async () => {
    const ingest = stack.replica();
    await stack.put('incoming/sweep-a/a.jpeg', 'x');
    await stack.put('incoming/sweep-b/a.jpeg', 'x');
    await ingest.record.execute({ bucket: 'scans', key: 'incoming/sweep-a/a.jpeg' });
    await ingest.record.execute({ bucket: 'scans', key: 'incoming/sweep-b/a.jpeg' });
    await redis.hset(`${stack.config.redis.prefix}:study:sweep-a:objects`, 'broken', 'not json');
    stack.clock.advance(31_000);
    await ingest.reconciler.sweep();
    const queued = await queuedIds();
    assert.ok(queued.includes('sweep-b') && !queued.includes('sweep-a'));
    assert.equal((await ingest.studies.get('sweep-a'))?.status, 'collecting', 'kept for the next sweep');
  });

  test('a study claimed by an ingest that died before queuing it is queued again, once, by the repair pass', async () => {
    const ingest = stack.replica();
    await stack.put('incoming/orphan/a.jpeg', 'x');
    await stack.put('incoming/orphan/b.jpeg', 'x');
    for (const key of ['incoming/orphan/a.jpeg', 'incoming/orphan/b.jpeg']) await ingest.record.execute({ bucket: 'scans', key });
    // What a SIGKILL between the two steps of SubmitStudyUseCase leaves: the claim and no job.
    assert.equal(await ingest.studies.claimSubmission('orphan', stack.clock.now()), true);
    assert.equal(await ingest.reconciler.repair(), 0, 'an enqueue may still be on its way');
    stack.clock.advance(61_000);
    assert.equal(await ingest.reconciler.repair(), 1);
    assert.deepEqual((await stack.queued()).images.get('orphan'), ['incoming/orphan/a.jpeg', 'incoming/orphan/b.jpeg']);
    stack.clock.advance(61_000);
    assert.equal(await ingest.reconciler.repair(), 0, 'its job is there now');
    assert.match(await ingest.metrics(), /pneumoscreen_studies_requeued_total 1/);
    assert.equal((await queuedIds()).filter((id) => id === 'orphan').length, 1);
  });

  test('a queued study whose job Redis lost is queued again; one with its job is left alone', async () => {
    const ingest = stack.replica();
    for (const id of ['lost', 'kept']) {
      await stack.put(`incoming/${id}/a.jpeg`, 'x');
      await ingest.record.execute({ bucket: 'scans', key: `incoming/${id}/a.jpeg` });
      assert.equal(await ingest.submit.execute(id), true);
    }
    const studyQueue = new Queue(QueueName.study, { connection: redis.options, prefix: stack.config.redis.prefix });
    await (await studyQueue.getJob(studyJobId('scans', 'lost')))!.remove();
    await studyQueue.close();
    assert.ok(!(await queuedIds()).includes('lost'));
    stack.clock.advance(61_000);
    assert.equal(await ingest.reconciler.repair(), 1);
    assert.deepEqual(
      (await queuedIds()).filter((id) => id === 'lost' || id === 'kept'),
      ['kept', 'lost'],
    );
    assert.match(await ingest.metrics(), /pneumoscreen_studies_requeued_total 1/);
  });
});

describe('the reconciler lists every tenant location (s3rver, real Redis)', () => {
  let stack: IngestStack;
  const tenants = [
    { id: 'hospital-a', locations: [{ bucket: 'scans', prefix: 'incoming/a-' }] },
    { id: 'hospital-b', locations: [{ bucket: 'b-own' }, { bucket: 'no-such-bucket' }] },
  ];
  before(async () => {
    stack = await startIngestStack({ TENANTS: JSON.stringify(tenants), STUDY_ID_KEY: 'k'.repeat(32) });
    await stack.store.ensureBucket('b-own');
  });
  after(async () => stack?.close());

  test("an unannounced object in a tenant's own bucket is recorded, past a bucket that cannot be listed", async () => {
    const ingest = stack.replica();
    await stack.put('incoming/a-1/x.jpeg', 'not a jpeg');
    await stack.store.putObject('b-own', 'incoming/b-1/y.jpeg', 'not a jpeg', 'image/jpeg');
    assert.equal(await ingest.reconciler.reconcile(), 2);
    assert.deepEqual(
      (await ingest.studies.objects('hospital-b.b-1')).map((o) => o.key),
      ['incoming/b-1/y.jpeg'],
    );
    assert.equal((await ingest.studies.get('hospital-b.b-1'))?.bucket, 'b-own');
    assert.ok(
      stack.logs.some((l) => l.includes('bucket no-such-bucket could not be listed')),
      stack.logs.join('\n'),
    );
  });
});
