import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { QueueName, StudyWebhookEvent, type StudyResult } from '@pneumoscreen/contracts';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { repoRoot } from '@pneumoscreen/testing';
import { REDIS_URL, startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-a';
const samples = join(repoRoot(), 'samples/studies');

/**
 * The whole pipeline across processes: a real S3-protocol server, real Redis, ingest and the
 * worker as their own OS processes from built output, and a receiver that checks signatures
 * with the reference Standard Webhooks library.
 */
describe('pipeline: S3 upload to signed webhook', () => {
  let stack: E2eStack;
  const prefix = `{pse2e-${randomBytes(4).toString('hex')}}`;

  before(async () => {
    stack = await startE2eStack({ bucket: BUCKET, prefix, env: { WORKER_MAX_BATCH: '8' } });
  });

  after(async () => {
    await stack?.stop();
  });

  async function dropStudy(studyId: string, files: Array<{ name: string; body: Buffer }>, duplicateEvents = false) {
    for (const f of files) {
      const key = `incoming/${studyId}/${f.name}`;
      const etag = await stack.put(key, f.body);
      assert.equal((await stack.notify(key, etag)).status, 200);
      if (duplicateEvents) assert.equal((await stack.notify(key, etag)).status, 200);
    }
    const manifestKey = `incoming/${studyId}/manifest.json`;
    const etag = await stack.put(manifestKey, JSON.stringify({ externalRef: `ref-${studyId}` }));
    assert.equal((await stack.notify(manifestKey, etag)).status, 200);
  }

  test('two real studies and a study with a corrupt image come back as verified webhooks', async () => {
    const normal = await readFile(join(samples, 'demo-normal-a/IM-0117-0001.jpeg'));
    const pneumonia = await readFile(join(samples, 'demo-pneumonia-a/person1003_virus_1685.jpeg'));
    await dropStudy('normal-1', [{ name: 'IM-0117-0001.jpeg', body: normal }], true);
    await dropStudy('pneumonia-1', [{ name: 'person1003 virus.jpeg', body: pneumonia }]);
    await dropStudy('mixed-1', [
      { name: 'good.jpeg', body: pneumonia },
      { name: 'corrupt.jpeg', body: normal.subarray(0, 2000) },
      { name: 'empty.jpeg', body: Buffer.alloc(0) },
    ]);

    await stack.receiver.waitFor((rs) => rs.length >= 3, 180_000);
    // Any extra (duplicate) delivery would show up within a moment.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(stack.receiver.requests.length, 3, 'one webhook per study');
    for (const r of stack.receiver.requests) assert.ok(r.verified, `signature verified by the reference library: ${r.error}`);

    const events = stack.receiver.requests.map((r) => StudyWebhookEvent.parse(JSON.parse(r.body)));
    const byId = new Map<string, StudyResult>(events.map((e) => [e.data.studyId, e.data]));
    const n = byId.get('normal-1')!;
    const p = byId.get('pneumonia-1')!;
    const m = byId.get('mixed-1')!;
    assert.equal(n.images.length, 1, 'duplicate events did not add a second result');
    assert.equal(p.images.length, 1);
    assert.equal(p.images[0].key, 'incoming/pneumonia-1/person1003 virus.jpeg', 'the encoded key was decoded');
    assert.ok(p.maxProbability! > n.maxProbability!, `pneumonia ${p.maxProbability} scores above normal ${n.maxProbability}`);
    assert.equal(p.decision, 'PNEUMONIA');
    assert.equal(n.decision, 'NORMAL');
    assert.equal(n.externalRef, 'ref-normal-1');
    for (const r of [n, p]) {
      assert.equal(r.status, 'completed');
      assert.ok(r.modelVersion);
      assert.ok(r.images[0].timing!.inferenceMs >= 0);
    }

    assert.equal(m.status, 'completed', 'a corrupt image does not fail its study');
    assert.equal(m.images.length, 3);
    const mk = new Map(m.images.map((i) => [i.key.split('/').pop(), i]));
    assert.ok(mk.get('good.jpeg')!.probability! > 0.5);
    assert.match(mk.get('corrupt.jpeg')!.error!, /./);
    assert.equal(mk.get('corrupt.jpeg')!.probability, undefined);
    assert.match(mk.get('empty.jpeg')!.error!, /empty/i);
    assert.equal(events.find((e) => e.data.studyId === 'mixed-1')!.type, 'study.completed');

    // The same result is in the bucket, and the studies API reports it.
    const stored = JSON.parse((await stack.store.getObject(BUCKET, 'results/pneumonia-1.json', { maxBytes: 1e6 })).body.toString());
    assert.deepEqual(stored, p);
    const view = await fetch(`${stack.ingestUrl}/v1/studies/pneumonia-1`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    assert.equal(view.status, 200);
    assert.equal(((await view.json()) as { status: string }).status, 'completed');
  });

  test('exactly one classification ran per image, however many events arrived', async () => {
    const q = new Queue(QueueName.image, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
    try {
      const { completed, failed, active, waiting } = await q.getJobCounts('completed', 'failed', 'active', 'waiting');
      assert.deepEqual({ completed, failed, active, waiting }, { completed: 5, failed: 0, active: 0, waiting: 0 });
    } finally {
      await q.close();
    }
  });

  test('ingest refuses unauthenticated and malformed event posts', async () => {
    const noAuth = await fetch(`${stack.ingestUrl}/v1/s3-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(noAuth.status, 401);
    const bad = await fetch(`${stack.ingestUrl}/v1/s3-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.env.S3_EVENTS_TOKEN}` },
      body: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: BUCKET } } }] }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /Records\[0\]/);
  });
});
