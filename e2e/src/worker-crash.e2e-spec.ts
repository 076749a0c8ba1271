import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { QueueName, StudyWebhookEvent } from '@pneumoscreen/contracts';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { spawnApp, type SpawnedApp } from '@pneumoscreen/testing';
import { sampleXrays } from './support/samples';
import { REDIS_URL, startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-crash';
const STUDIES = 10;
const IMAGES_PER_STUDY = 4;

/**
 * A worker stopped while a batch is in its engine. Killed (SIGKILL: no shutdown hook runs), a new
 * one takes its place and BullMQ gives it the dead worker's jobs once their locks lapse (about
 * 30 s), so every image is classified and every study completes, each image once. Stopped
 * (SIGTERM, as compose and Kubernetes do), it finishes what it holds before it exits. tfjs-wasm
 * keeps batches in the engine long enough to be caught there.
 */
describe('a worker stopped mid-batch loses no image', () => {
  let stack: E2eStack;
  let replacement: SpawnedApp | undefined;
  const prefix = `{crash-e2e-${randomBytes(4).toString('hex')}}`;
  const images = new Queue(QueueName.image, { connection: redisOptionsFromUrl(REDIS_URL), prefix });

  before(async () => {
    stack = await startE2eStack({ bucket: BUCKET, prefix, env: { ENGINE: 'tfjs-wasm', WORKER_MAX_BATCH: '8' } });
  });

  after(async () => {
    await replacement?.stop();
    await stack?.stop();
    await images.close();
  });

  /** Uploads STUDIES studies of X-rays named `<name>-<n>`, while the test goes on: a worker that
   * kept pace with the uploads would otherwise leave no batch to catch. */
  function upload(name: string): Promise<void> {
    return (async () => {
      const xrays = await sampleXrays();
      for (let s = 0; s < STUDIES; s++) {
        for (let i = 0; i < IMAGES_PER_STUDY; i++) {
          const key = `incoming/${name}-${s}/${i}.jpeg`;
          assert.equal((await stack.notify(key, await stack.put(key, xrays[(s + i) % xrays.length]!))).status, 200);
        }
        const manifest = `incoming/${name}-${s}/manifest.json`;
        assert.equal((await stack.notify(manifest, await stack.put(manifest, '{}'))).status, 200);
      }
    })();
  }

  /** The ids of the image jobs a worker holds, once it holds a batch's worth. */
  async function batchInHand(): Promise<string[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const held = (await images.getActive()).map((j) => j.id!);
      if (held.length >= 2) return held;
      assert.ok(Date.now() < deadline, `no batch in a worker's hands within 60 s (${held.length} active)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('every study completes with every image classified once, the killed batch included', async () => {
    const uploading = upload('study');
    const held = await batchInHand();
    await stack.worker.stop('SIGKILL');
    assert.ok(stack.receiver.requests.length < STUDIES, 'the worker died with studies unfinished');
    await uploading;

    replacement = spawnApp('gpu-worker-2', require.resolve('@pneumoscreen/gpu-worker'), stack.env);
    await replacement.waitForLine(/model .* ready/, 120_000);
    await stack.receiver.waitFor((rs) => rs.length >= STUDIES, 180_000);

    const results = stack.receiver.requests.map((r) => StudyWebhookEvent.parse(JSON.parse(r.body)).data);
    assert.deepEqual(
      results.map((r) => r.studyId).sort(),
      Array.from({ length: STUDIES }, (_, s) => `study-${s}`).sort(),
      'one webhook per study',
    );
    for (const r of results) {
      assert.equal(r.status, 'completed', r.studyId);
      assert.deepEqual(
        r.images.map((i) => i.key).sort(),
        Array.from({ length: IMAGES_PER_STUDY }, (_, i) => `incoming/${r.studyId}/${i}.jpeg`),
      );
      for (const i of r.images) assert.ok(i.probability !== undefined && !i.error, `${i.key} classified: ${i.error ?? ''}`);
    }
    for (const id of held) {
      assert.equal(await images.getJobState(id), 'completed', `job ${id}, in the killed batch, completed`);
      assert.equal((await images.getJob(id))!.stalledCounter, 1, `job ${id} was taken back from the dead worker once`);
    }
    const { completed, failed } = await images.getJobCounts('completed', 'failed');
    assert.deepEqual({ completed, failed }, { completed: STUDIES * IMAGES_PER_STUDY, failed: 0 });
  });

  test('a worker stopped gracefully (SIGTERM) finishes the batch in its engine first: no image spends an attempt', async () => {
    const worker = replacement!;
    const uploading = upload('graceful');
    const held = await batchInHand();
    await worker.stop('SIGTERM');
    assert.equal(worker.child.signalCode, 'SIGTERM', 'it exited on its own, before stop() had to kill it');
    for (const id of held) {
      const job = (await images.getJob(id))!;
      assert.equal(await images.getJobState(id), 'completed', `job ${id}, in the batch at the stop, completed: ${job.failedReason ?? ''}`);
      assert.deepEqual(
        { attemptsMade: job.attemptsMade, stalledCounter: job.stalledCounter },
        { attemptsMade: 1, stalledCounter: 0 },
        `job ${id} ran once, to the end`,
      );
    }
    await uploading;
  });
});
