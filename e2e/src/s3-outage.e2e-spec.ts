import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { QueueName, StudyWebhookEvent } from '@pneumoscreen/contracts';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { startS3Server, type S3Server } from '@pneumoscreen/testing';
import { sampleXrays } from './support/samples';
import { REDIS_URL, startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-s3-outage';
const STUDIES = 8;
const IMAGES_PER_STUDY = 4;
const OUTAGE_MS = 10_000;

/**
 * The S3 store goes away for 10 s while the worker is downloading and classifying (tfjs-wasm
 * keeps it busy long enough), then comes back with the same objects. Image jobs retry for
 * longer than such an outage, so every image is classified rather than reported as failed.
 */
describe('an S3 outage mid-run fails no image', () => {
  let stack: E2eStack;
  let dir: string;
  let revived: S3Server | undefined;
  const prefix = `{s3-e2e-${randomBytes(4).toString('hex')}}`;
  const images = new Queue(QueueName.image, { connection: redisOptionsFromUrl(REDIS_URL), prefix });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3-outage-'));
    stack = await startE2eStack({ bucket: BUCKET, prefix, s3Directory: dir, env: { ENGINE: 'tfjs-wasm', WORKER_MAX_BATCH: '8' } });
  });

  after(async () => {
    await revived?.stop();
    await stack?.stop();
    await images.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('every study completes with every image classified', async () => {
    const xrays = await sampleXrays();
    for (let s = 0; s < STUDIES; s++) {
      for (let i = 0; i < IMAGES_PER_STUDY; i++) {
        const key = `incoming/study-${s}/${i}.jpeg`;
        assert.equal((await stack.notify(key, await stack.put(key, xrays[(s + i) % xrays.length]!))).status, 200);
      }
      const manifest = `incoming/study-${s}/manifest.json`;
      assert.equal((await stack.notify(manifest, await stack.put(manifest, '{}'))).status, 200);
    }

    await stack.s3.stop();
    const { waiting, active } = await images.getJobCounts('waiting', 'active');
    assert.ok(waiting + active > 0, 'the store went with images still to download');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    revived = await startS3Server({ directory: dir, port: stack.s3.port });

    await stack.receiver.waitFor((rs) => rs.length >= STUDIES, 300_000);
    const results = stack.receiver.requests.map((r) => StudyWebhookEvent.parse(JSON.parse(r.body)).data);
    assert.equal(results.length, STUDIES, 'one webhook per study');
    for (const r of results) {
      assert.equal(r.images.length, IMAGES_PER_STUDY, r.studyId);
      for (const i of r.images) assert.ok(i.probability !== undefined && !i.error, `${i.key} classified: ${i.error ?? ''}`);
    }
    assert.equal((await images.getJobCounts('failed')).failed, 0);
  });
});
