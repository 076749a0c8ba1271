import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { ModelRolledOutEvent, QueueName, StudyWebhookEvent, type StudyResult } from '@pneumoscreen/contracts';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { copyRelease, repoRoot } from '@pneumoscreen/testing';
import { REDIS_URL, startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-a';
const REGISTRY_BUCKET = 'model-registry';
const STUDIES = 24;
const PROMOTE_AFTER = 8;
const cliMain = join(repoRoot(), 'apps/cli/dist/main.js');

/**
 * A roll-out under load: studies stream in while an operator promotes a new version with the CLI.
 * Version B has A's weights and threshold 0, so every image B judges is PNEUMONIA while A calls
 * the normal test image NORMAL: each result shows which version, and whose threshold, judged it.
 */
describe('roll-out: promoting a version while studies stream in', () => {
  let stack: E2eStack;
  let env: NodeJS.ProcessEnv;
  let a: string;
  let b: string;
  const prefix = `{psrollout-${randomBytes(4).toString('hex')}}`;

  const cli = async (...args: string[]) => (await promisify(execFile)(process.execPath, [cliMain, 'models', ...args], { env })).stdout;

  before(async () => {
    stack = await startE2eStack({
      bucket: BUCKET,
      prefix,
      extraBuckets: [REGISTRY_BUCKET],
      env: {
        MODEL_REGISTRY: `s3://${REGISTRY_BUCKET}/registry`,
        MODEL_CACHE_DIR: await mkdtemp(join(tmpdir(), 'rollout-cache-')),
        // Polling slower than the test: only the pub/sub notice can make the switch this quick.
        MODEL_CHANNEL_POLL_MS: '600000',
        WORKER_MAX_BATCH: '4',
      },
      beforeApps: async (s) => {
        env = s.env;
        const releaseA = await copyRelease();
        const releaseB = await copyRelease({ version: `${releaseA.version}-b`, threshold: 0 });
        [a, b] = [releaseA.version, releaseB.version];
        await cli('publish', releaseA.dir);
        await cli('publish', releaseB.dir);
        await cli('promote', a);
      },
      ingestReadyLine: /studies go to /,
    });
  });

  after(async () => {
    await stack?.stop();
  });

  test('every study completes on exactly one version, none is lost or duplicated, and later studies use B', async () => {
    const normal = await readFile(join(repoRoot(), 'samples/studies/demo-normal-a/IM-0117-0001.jpeg'));
    const submittedAt = new Map<string, number>();
    let promotedAt = 0;
    for (let i = 0; i < STUDIES; i++) {
      const studyId = `rollout-${String(i).padStart(2, '0')}`;
      const keys = [`scans/${studyId}/1.jpeg`, `scans/${studyId}/2.jpeg`];
      for (const key of keys) await stack.store.putObject(BUCKET, key, normal, 'image/jpeg');
      const res = await fetch(`${stack.ingestUrl}/v1/studies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
        body: JSON.stringify({ studyId, keys }),
      });
      assert.equal(res.status, 202, await res.text());
      submittedAt.set(studyId, Date.now());
      if (i === PROMOTE_AFTER - 1) {
        assert.match(await cli('promote', b), new RegExp(`^production: ${a} -> ${b}\\n`));
        promotedAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 150));
    }

    await stack.receiver.waitFor((rs) => rs.length >= STUDIES + 2, 180_000);
    // Any extra (duplicate) delivery would show up within a moment.
    await new Promise((r) => setTimeout(r, 1_000));
    for (const r of stack.receiver.requests) assert.ok(r.verified, `signature verified: ${r.error}`);
    const bodies = stack.receiver.requests.map((r) => JSON.parse(r.body) as { type: string });

    const rollouts = bodies.filter((e) => e.type === 'model.rolled_out').map((e) => ModelRolledOutEvent.parse(e).data);
    const model = 'pneumoscreen-pneumonia';
    assert.deepEqual(rollouts, [
      { action: 'promote', model, channel: 'production', version: a, previousVersion: null },
      { action: 'promote', model, channel: 'production', version: b, previousVersion: a },
    ]);

    const results = bodies.filter((e) => e.type !== 'model.rolled_out').map((e) => StudyWebhookEvent.parse(e).data);
    assert.equal(results.length, STUDIES, 'one webhook per study');
    const byId = new Map<string, StudyResult>(results.map((r) => [r.studyId, r]));
    assert.deepEqual([...byId.keys()].sort(), [...submittedAt.keys()].sort(), 'no study lost or duplicated');
    for (const [studyId, r] of byId) {
      assert.equal(r.status, 'completed', studyId);
      assert.equal(r.images.length, 2, studyId);
      const versions = new Set(r.images.map((i) => i.modelVersion));
      assert.deepEqual([...versions], [r.modelVersion], `${studyId} mixes versions: ${[...versions].join(', ')}`);
      // Each version's own threshold decided.
      assert.deepEqual(
        r.images.map((i) => i.decision),
        r.modelVersion === b ? ['PNEUMONIA', 'PNEUMONIA'] : ['NORMAL', 'NORMAL'],
        studyId,
      );
      if (submittedAt.get(studyId)! < promotedAt - 150) assert.equal(r.modelVersion, a, `${studyId}, queued before the promote`);
      // Ingest heard of the promote through pub/sub within a second.
      if (submittedAt.get(studyId)! > promotedAt + 1_000) assert.equal(r.modelVersion, b, `${studyId}, queued after the promote`);
    }
    assert.ok(results.filter((r) => r.modelVersion === b).length >= STUDIES - PROMOTE_AFTER - 7, 'most studies after the promote ran on B');

    const q = new Queue(QueueName.image, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
    try {
      const { completed, failed, active, waiting } = await q.getJobCounts('completed', 'failed', 'active', 'waiting');
      assert.deepEqual(
        { completed, failed, active, waiting },
        { completed: 2 * STUDIES, failed: 0, active: 0, waiting: 0 },
        'exactly one classification per image',
      );
    } finally {
      await q.close();
    }
  });
});
