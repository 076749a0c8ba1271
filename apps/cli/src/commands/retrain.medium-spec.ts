import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '@pneumoscreen/config';
import { QueueName, RetrainJobData, type RetrainProgress, type RetrainResult } from '@pneumoscreen/contracts';
import { runCli } from '../program/program';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function result(passed: boolean): RetrainResult {
  const row = (model: 'production' | 'candidate', version: string, auc: number) => ({
    model,
    version,
    set: 'validation' as const,
    n: 100,
    accuracy: 0.9,
    sensitivity: 0.95,
    specificity: 0.85,
    auc,
    threshold: 0.5,
  });
  return {
    candidateVersion: 'cand-1',
    productionVersion: 'prod-1',
    comparison: [row('production', 'prod-1', 0.97), row('candidate', 'cand-1', passed ? 0.975 : 0.9)],
    gate: passed
      ? { passed, reasons: [] }
      : { passed, reasons: ['validation AUC 0.9000 is 0.0700 below production 0.9700 (at most 0.005 allowed)'] },
    action: 'none',
    data: { baseImages: 100, feedbackTrainImages: 8, feedbackHeldBackImages: 2, newLabels: 10, disagreements: 1 },
    seconds: 3,
  };
}

/**
 * The command against real Redis and BullMQ. The trainer is played by a BullMQ worker in the test
 * that reports progress and returns a result of the contract's shape: what is under test is the
 * command's queueing, following and reporting, not training.
 */
describe('pneumoscreen retrain (real Redis)', () => {
  const prefix = `{pstest-cli-retrain-${randomUUID()}}`;
  const env = { REDIS_URL, REDIS_PREFIX: prefix };
  const redis = new Redis(REDIS_URL);
  const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const workers: Worker[] = [];

  async function run(argv: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(['retrain', ...argv], {
      config: () => loadConfig(env),
      out: (t) => void (out += t),
      err: (t) => void (err += t),
    });
    return { code, out, err };
  }

  function trainer(handle: (job: Job) => Promise<unknown>) {
    const w = new Worker(QueueName.training, handle, { connection: workerConnection, prefix, concurrency: 1 });
    workers.push(w);
    return w;
  }

  after(async () => {
    for (const w of workers) await w.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await Promise.all([redis, workerConnection].map((c) => c.quit()));
  });

  test('--wait follows progress, prints the comparison and exits 0 when the gate passes', async () => {
    const seen: unknown[] = [];
    const w = trainer(async (job) => {
      seen.push(RetrainJobData.parse(job.data));
      const p: RetrainProgress = {
        phase: 'train',
        stage: 'head',
        message: 'training the head',
        epoch: 1,
        maxEpochs: 2,
        loss: 0.3,
        valAuc: 0.95,
        elapsedMs: 10,
      };
      await job.updateProgress(p);
      await new Promise((r) => setTimeout(r, 300));
      await job.updateProgress({ ...p, epoch: 2, loss: 0.2, valAuc: 0.97 });
      return result(true);
    });
    const r = await run(['--wait', '--epochs', '2', '--min-new-labels', '5']);
    await w.close();
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      seen.map((d) => ({ ...(d as object), requestedAt: 'x' })),
      [{ requestedAt: 'x', minNewLabels: 5, maxEpochs: 2 }],
    );
    assert.match(r.err, /\[train head\] epoch 1\/2 loss 0\.3000 val AUC 0\.9500/);
    assert.match(r.out, /candidate\s+cand-1\s+validation\s+100\s+0\.9000\s+0\.9500\s+0\.8500\s+0\.9750\s+0\.5000/);
    assert.match(r.out, /gate: passed/);
    assert.match(r.out, /pneumoscreen models promote cand-1/);
  });

  test('a candidate that fails the gate exits 1 with the reasons; --json prints the result', async () => {
    const w = trainer(async () => result(false));
    const r = await run(['--wait', '--json']);
    await w.close();
    assert.equal(r.code, 1);
    const parsed = JSON.parse(r.out) as RetrainResult;
    assert.equal(parsed.gate.passed, false);
    assert.match(parsed.gate.reasons[0]!, /below production/);
  });

  test('a failed job exits 1 with its reason', async () => {
    const w = trainer(async () => {
      throw new Error('3 new labels since prod-1; --min-new-labels asks for 50');
    });
    const r = await run(['--wait']);
    await w.close();
    assert.equal(r.code, 1);
    assert.match(r.err, /failed: 3 new labels since prod-1; --min-new-labels asks for 50/);
  });

  test('while one retrain is queued, a second is refused and names the first; --no-wait returns at once', async () => {
    const first = await run(['--no-wait', '--json']);
    assert.equal(first.code, 0, first.err);
    const { jobId } = JSON.parse(first.out) as { jobId: string };
    const second = await run(['--no-wait']);
    assert.equal(second.code, 1);
    assert.match(second.err, new RegExp(`already queued \\(job ${jobId}\\).*--follow ${jobId}`));
    const connection = redis.duplicate();
    const q = new Queue(QueueName.training, { connection, prefix });
    assert.equal(await q.getWaitingCount(), 1, 'only one job queued');
    await q.close();
    await connection.quit();
    // Once it has run, --follow reports its result.
    const w = trainer(async () => result(true));
    const followed = await run(['--follow', jobId]);
    await w.close();
    assert.equal(followed.code, 0, followed.err);
    assert.match(followed.out, /gate: passed/);
  });

  test('bad flags are usage errors', async () => {
    const r = await run(['--epochs', 'two']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^error: --epochs must be a whole number of at least 1, not "two"/);
  });
});
