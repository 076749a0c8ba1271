import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '@pneumoscreen/config';
import { JobName, QueueName, WebhookJobData, webhookJobId } from '@pneumoscreen/contracts';
import { freePort } from '@pneumoscreen/testing';
import { RedisEndpointStatus, type DeadLetter } from '@pneumoscreen/webhooks';
import { runCli } from '../program/program';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `{pstest-cli-webhooks-${randomUUID()}}`;
const receiver = 'https://hooks.example.org/pneumo';
const attempt = (status: number) => ({
  at: '2025-06-01T11:00:00.000Z',
  outcome: 'retry' as const,
  status,
  latencyMs: 12,
  error: `HTTP ${status}`,
});

async function run(argv: string[], env: Record<string, string> = { REDIS_URL, REDIS_PREFIX: prefix }) {
  let out = '';
  let err = '';
  const code = await runCli(['webhooks', ...argv], {
    config: () => loadConfig(env),
    out: (t) => void (out += t),
    err: (t) => void (err += t),
  });
  return { code, out, err };
}

describe('pneumoscreen webhooks (real Redis)', () => {
  const redis = new Redis(REDIS_URL);
  // BullMQ leaves a connection it is given open on close(); these are closed by hand.
  const queueConnection = redis.duplicate();
  const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QueueName.webhook, { connection: queueConnection, prefix });
  const endpoints = new RedisEndpointStatus(redis, prefix);
  const jobIds: string[] = [];

  /** Three messages in the failed set, as the delivery worker leaves them. */
  before(async () => {
    for (const [i, url] of [receiver, receiver, 'https://gone.example.org/'].entries()) {
      const data: WebhookJobData = {
        messageId: `msg_cli${i}`,
        tenantId: 'default',
        url,
        body: JSON.stringify({ type: 'study.failed', data: { studyId: `st-${i}` } }),
        attempts: [attempt(500), attempt(503)],
        replays: [],
      };
      jobIds.push((await queue.add(JobName.deliverWebhook, data, { jobId: webhookJobId(data.messageId, url), removeOnFail: false })).id!);
    }
    const worker = new Worker(
      QueueName.webhook,
      async () => {
        throw new UnrecoverableError('gave up after 2 attempts; the last: HTTP 503');
      },
      { connection: workerConnection, prefix },
    );
    while ((await queue.getFailedCount()) < 3) await new Promise((r) => setTimeout(r, 20));
    await worker.close();
    await endpoints.disable({ url: 'https://gone.example.org/', since: '2025-06-01T10:00:00.000Z', reason: 'answered 410 Gone' });
  });

  after(async () => {
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await Promise.all([redis, queueConnection, workerConnection].map((c) => c.quit()));
  });

  test('failed --json lists every dead letter with every attempt', async () => {
    const { code, out } = await run(['failed', '--json']);
    assert.equal(code, 0);
    const letters = JSON.parse(out) as DeadLetter[];
    assert.deepEqual(letters.map((d) => d.jobId).sort(), [...jobIds].sort());
    const first = letters.find((d) => d.jobId === jobIds[0])!;
    assert.equal(first.messageId, 'msg_cli0');
    assert.equal(first.eventType, 'study.failed');
    assert.equal(first.studyId, 'st-0');
    assert.deepEqual(
      first.attempts.map((a) => a.status),
      [500, 503],
    );
    assert.match(first.reason, /gave up after 2 attempts/);
    assert.equal(letters.find((d) => d.jobId === jobIds[2])!.endpointDisabled?.reason, 'answered 410 Gone');
    assert.ok(!out.includes('"body"'), 'payloads are not printed');
  });

  test('failed prints each attempt for a person to read', async () => {
    const { code, out } = await run(['failed']);
    assert.equal(code, 0);
    assert.match(out, /^3 dead-lettered webhook\(s\), oldest first$/m);
    assert.match(out, /attempt  2  2025-06-01T11:00:00\.000Z  retry {5}503 {6}12 ms  HTTP 503/);
    assert.match(out, /endpoint {4}disabled since 2025-06-01T10:00:00\.000Z \(answered 410 Gone\)/);
  });

  test('replay ID re-queues that message under its webhook-id; unknown ids are reported', async () => {
    const { code, out, err } = await run(['replay', jobIds[0], 'msg_nope']);
    assert.equal(code, 1);
    assert.match(out, new RegExp(`replayed ${jobIds[0].replace('.', '\\.')} \\(webhook-id msg_cli0\\)`));
    assert.match(err, /not in the dead-letter list: msg_nope/);
    const job = await Job.fromId(queue, jobIds[0]);
    assert.equal(await job!.getState(), 'waiting');
    assert.equal(job!.data.messageId, 'msg_cli0');
    assert.deepEqual(
      job!.data.replays.map((r: { firstAttempt: number }) => r.firstAttempt),
      [2],
    );
  });

  test('replay --since skips a disabled endpoint, and enable lifts it', async () => {
    const replay = await run(['replay', '--since', '1h']);
    assert.equal(replay.code, 1);
    assert.match(replay.out, /replayed .* \(webhook-id msg_cli1\)/);
    assert.match(replay.err, /skipped .*: its endpoint is disabled since 2025-06-01T10:00:00\.000Z; enable it first/);
    assert.equal(await queue.getJobState(jobIds[2]), 'failed');

    const enabled = await run(['enable', 'https://GONE.example.org']);
    assert.equal(enabled.code, 0);
    assert.match(enabled.out, /enabled https:\/\/gone\.example\.org\/: it was disabled since 2025-06-01T10:00:00\.000Z/);
    assert.equal((await run(['enable', 'https://gone.example.org/'])).code, 1);
    assert.equal((await run(['replay', 'msg_cli2'])).code, 0);
    assert.equal((await run(['failed'])).out, 'the dead-letter list is empty\n');
  });

  test('usage mistakes exit 2 and show the usage', async () => {
    for (const argv of [
      [],
      ['frobnicate'],
      ['replay'],
      ['replay', 'x', '--since', '1h'],
      ['replay', '--since', 'yesterday'],
      ['enable', 'not a url'],
      ['failed', '--jsn'],
    ]) {
      const { code, err } = await run(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.match(err, /^Usage: pneumoscreen webhooks/m, argv.join(' '));
    }
  });

  test('an unreachable Redis is named by host and port, never with its password', async () => {
    const port = await freePort();
    const { code, err } = await run(['failed'], { REDIS_URL: `redis://:s3cr3tpw@127.0.0.1:${port}` });
    assert.equal(code, 1);
    assert.match(err, new RegExp(`^pneumoscreen: cannot reach Redis at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    assert.ok(!err.includes('s3cr3tpw'));
  });
});
