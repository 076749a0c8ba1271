import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { ModelRolledOutEvent, QueueName, RetrainResult, StudyWebhookEvent, type StudyResult } from '@pneumoscreen/contracts';
import { FeedbackStore, currentLabels } from '@pneumoscreen/feedback';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { copyRelease, repoRoot } from '@pneumoscreen/testing';
import { REDIS_URL, startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-b';
const REGISTRY_BUCKET = 'model-registry';
const cliMain = join(repoRoot(), 'apps/cli/dist/main.js');
const KERMANY = join(repoRoot(), '../shared/data/kermany224-train');
const BASE_IMAGES_PER_CLASS = 10;

/** A small base data set: the first images of each class, as links into the shared train split. */
async function tinyBaseData(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'retrain-base-'));
  for (const cls of ['NORMAL', 'PNEUMONIA']) {
    await mkdir(join(root, cls));
    const names = (await readdir(join(KERMANY, cls))).sort().slice(0, BASE_IMAGES_PER_CLASS);
    for (const n of names) await symlink(join(KERMANY, cls, n), join(root, cls, n));
  }
  return root;
}

/**
 * The loop closed under load: studies stream in, readers label some, the operator retrains with the
 * CLI, the trainer publishes a candidate that passes the gate and (PROMOTION_POLICY=promote-if-better)
 * promotes it, and workers switch. Every study completes once, on one version.
 */
describe('feedback, retrain and promotion while studies stream in', () => {
  let stack: E2eStack;
  let env: NodeJS.ProcessEnv;
  let a: string;
  const prefix = `{psretrain-${randomBytes(4).toString('hex')}}`;
  const exec = promisify(execFile);
  const cli = (...args: string[]) => exec(process.execPath, [cliMain, ...args], { env, maxBuffer: 16 * 1024 * 1024 });

  before(async () => {
    stack = await startE2eStack({
      bucket: BUCKET,
      prefix,
      extraBuckets: [REGISTRY_BUCKET],
      trainer: true,
      env: {
        MODEL_REGISTRY: `s3://${REGISTRY_BUCKET}/registry`,
        MODEL_CACHE_DIR: await mkdtemp(join(tmpdir(), 'retrain-cache-')),
        MODEL_CHANNEL_POLL_MS: '600000',
        WORKER_MAX_BATCH: '4',
        TRAINING_DATA_DIR: await tinyBaseData(),
        TRAINING_WORK_DIR: await mkdtemp(join(tmpdir(), 'retrain-work-')),
        TRAINING_VAL_FRACTION: '0.3',
        PROMOTION_POLICY: 'promote-if-better',
        // Ten base images a class cannot rank as well as the released model: the gate's AUC rule is
        // exercised in the trainer's medium tests; here the candidate must pass to be promoted.
        PROMOTION_MAX_AUC_DROP: '1',
        FEEDBACK_HOLDOUT_FRACTION: '0',
      },
      beforeApps: async (s) => {
        env = s.env;
        const release = await copyRelease();
        a = release.version;
        await cli('models', 'publish', release.dir);
        await cli('models', 'promote', a);
      },
      ingestReadyLine: /studies go to /,
    });
  });

  after(async () => {
    await stack?.stop();
  });

  test('labels are stored, a retrain promotes a new version, and no study is lost, duplicated or mixed', async () => {
    const normal = await readFile(join(repoRoot(), 'samples/studies/demo-normal-a/IM-0117-0001.jpeg'));
    const pneumonia = await readFile(join(repoRoot(), 'samples/studies/demo-pneumonia-a/person1003_virus_1685.jpeg'));
    const submittedAt = new Map<string, number>();
    let n = 0;
    const submit = async () => {
      const studyId = `stream-${String(n++).padStart(3, '0')}`;
      const keys = [`scans/${studyId}/normal.jpeg`, `scans/${studyId}/pneumonia.jpeg`];
      await stack.store.putObject(BUCKET, keys[0]!, normal, 'image/jpeg');
      await stack.store.putObject(BUCKET, keys[1]!, pneumonia, 'image/jpeg');
      const res = await fetch(`${stack.ingestUrl}/v1/studies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
        body: JSON.stringify({ studyId, keys }),
      });
      assert.equal(res.status, 202, await res.text());
      submittedAt.set(studyId, Date.now());
      return studyId;
    };
    const feedback = (body: object) =>
      fetch(`${stack.ingestUrl}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
        body: JSON.stringify(body),
      });

    // Readers label the first studies once they are done.
    const labelled = [await submit(), await submit(), await submit()];
    await stack.receiver.waitFor((rs) => rs.filter((r) => r.body.includes('"study.completed"')).length >= 3, 120_000);
    for (const studyId of labelled) {
      const res = await feedback({ studyId, key: `scans/${studyId}/pneumonia.jpeg`, label: 'PNEUMONIA', readerId: 'reader-7' });
      assert.equal(res.status, 202, await res.text());
    }
    const study = await feedback({ studyId: labelled[0], label: 'NORMAL', readerId: 'reader-9', comment: 'second read' });
    assert.equal(study.status, 202, await study.text());
    const unknown = await feedback({ studyId: 'no-such-study', label: 'NORMAL', readerId: 'reader-7' });
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /no-such-study/);

    // Studies keep streaming while the operator retrains.
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        await submit();
        await new Promise((r) => setTimeout(r, 400));
      }
    })();
    let retrain: { stdout: string; stderr: string };
    try {
      retrain = await cli(
        'retrain',
        '--wait',
        '--json',
        '--epochs',
        '2',
        '--fine-tune-epochs',
        '1',
        '--augment',
        '0',
        '--shape-swap',
        '0',
        '--min-new-labels',
        '1',
      );
    } finally {
      const promotedAt = Date.now();
      // A few more studies after the promote, then stop.
      while (Date.now() - promotedAt < 4_000) await new Promise((r) => setTimeout(r, 200));
      streaming = false;
      await stream;
    }
    const result = RetrainResult.parse(JSON.parse(retrain.stdout));
    assert.equal(result.productionVersion, a);
    assert.equal(result.gate.passed, true, result.gate.reasons.join('; '));
    assert.equal(result.action, 'promoted');
    assert.ok(result.data.feedbackTrainImages >= 3, `trained on the labelled images: ${JSON.stringify(result.data)}`);
    assert.deepEqual(new Set(result.comparison.map((c) => c.model)), new Set(['production', 'candidate']));
    assert.match(retrain.stderr, /\[train head\] epoch/, 'progress was shown');
    const c = result.candidateVersion;

    const total = submittedAt.size;
    await stack.receiver.waitFor((rs) => rs.filter((r) => r.body.includes('"study.completed"')).length >= total, 240_000);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const r of stack.receiver.requests) assert.ok(r.verified, `signature verified: ${r.error}`);
    const bodies = stack.receiver.requests.map((r) => JSON.parse(r.body) as { type: string });
    const rollouts = bodies.filter((e) => e.type === 'model.rolled_out').map((e) => ModelRolledOutEvent.parse(e).data);
    assert.deepEqual(
      rollouts.map((r) => [r.version, r.previousVersion]),
      [
        [a, null],
        [c, a],
      ],
    );

    const results = bodies.filter((e) => e.type !== 'model.rolled_out').map((e) => StudyWebhookEvent.parse(e).data);
    const byId = new Map<string, StudyResult>(results.map((r) => [r.studyId, r]));
    assert.equal(results.length, total, 'one webhook per study');
    assert.deepEqual([...byId.keys()].sort(), [...submittedAt.keys()].sort(), 'no study lost or duplicated');
    for (const [studyId, r] of byId) {
      assert.equal(r.status, 'completed', studyId);
      const versions = new Set(r.images.map((i) => i.modelVersion));
      assert.deepEqual([...versions], [r.modelVersion], `${studyId} mixes versions`);
      assert.ok(r.modelVersion === a || r.modelVersion === c, `${studyId} ran on ${r.modelVersion}`);
    }
    assert.ok(
      results.some((r) => r.modelVersion === c),
      'studies after the promote ran on the new version',
    );

    // The labels are in S3 as an append-only data set; the latest label per image wins.
    const labels = currentLabels(await new FeedbackStore(stack.store, BUCKET, 'feedback/').readAll());
    assert.equal(labels.records, 4);
    const first = labels.images.filter((i) => i.studyId === labelled[0]);
    assert.deepEqual(
      first.map((i) => [i.key.split('/').pop(), i.label, i.disputed]),
      [
        ['normal.jpeg', 'NORMAL', false],
        ['pneumonia.jpeg', 'NORMAL', true],
      ],
    );
    assert.equal(labels.disagreements, 1);

    // A retrain that cannot meet its bar fails and leaves production where it is.
    const refused = await cli('retrain', '--wait', '--min-new-labels', '1000').then(
      () => assert.fail('retrain should exit non-zero'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--min-new-labels/);
    const listing = JSON.parse((await cli('models', 'list', '--json')).stdout) as { channels: Record<string, { version: string }> };
    assert.equal(listing.channels['production']!.version, c);

    const q = new Queue(QueueName.image, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
    try {
      const { completed, failed } = await q.getJobCounts('completed', 'failed');
      assert.deepEqual({ completed, failed }, { completed: 2 * total, failed: 0 }, 'exactly one classification per image');
    } finally {
      await q.close();
    }
  });
});
