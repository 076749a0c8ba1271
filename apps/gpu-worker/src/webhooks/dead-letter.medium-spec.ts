import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listDeadLetters, replayDeadLetters } from '@pneumoscreen/webhooks';
import { FAST_RETRIES, secret, startWebhookPool, type WebhookPool } from './webhook-pool.test-harness';

const key = secret(41);

describe('dead letters through the real worker', () => {
  let pool: WebhookPool;
  before(async () => void (pool = await startWebhookPool({ ...FAST_RETRIES, WEBHOOK_SECRET: key })));
  after(() => pool?.close());

  test('410 dead-letters the message and disables the endpoint until an operator enables it', async () => {
    let gone = true;
    const r = await pool.receiver([key], () => ({ status: gone ? 410 : 200 }));
    const first = await pool.settled(await pool.send(r.url));
    assert.equal(first.state, 'failed');
    assert.deepEqual(
      first.data.attempts.map((a) => [a.outcome, a.status]),
      [['gone', 410]],
    );
    assert.match(first.job.failedReason, /answered 410 Gone and is now disabled/);
    const disabled = await pool.endpoints.disabled(r.url);
    assert.equal(disabled?.messageId, first.data.messageId);

    // A later message to it is not sent at all, and says why.
    gone = false;
    const second = await pool.settled(await pool.send(r.url));
    assert.equal(second.state, 'failed');
    assert.deepEqual(second.data.attempts, []);
    assert.match(second.job.failedReason, /not sent: the endpoint is disabled since .* enable it with "pneumoscreen webhooks enable URL"/);
    assert.equal(r.requests.length, 1);

    // Enabled again, the skipped message can be replayed and arrives.
    assert.equal((await pool.endpoints.enable(r.url))?.reason, 'answered 410 Gone');
    const report = await replayDeadLetters(pool.queue, pool.endpoints, { ids: [String(second.job.id)] }, new Date());
    assert.deepEqual(
      report.replayed.map((d) => d.jobId),
      [second.job.id],
    );
    assert.equal((await pool.settled(String(second.job.id))).state, 'completed');
    assert.equal(r.requests.length, 2);

    // The first test of this pool: its metrics hold exactly these attempts.
    const metrics = await pool.metrics();
    assert.match(metrics, /^pneumoscreen_webhook_attempts_total\{outcome="gone"\} 1$/m);
    assert.match(metrics, /^pneumoscreen_webhook_attempts_total\{outcome="delivered"\} 1$/m);
    assert.match(metrics, /^pneumoscreen_webhook_dead_letters_total 2$/m, 'the 410 and the message not sent to the disabled endpoint');
    assert.match(metrics, /^pneumoscreen_webhook_attempt_seconds_count 2$/m);
  });

  test('replay re-sends a dead letter under the same webhook-id, with a fresh schedule', async () => {
    // Four failures exhaust the schedule; the replay's first attempt fails too, so only a fresh
    // schedule gets it to the sixth.
    const r = await pool.receiver([key], (n) => ({ status: n <= 5 ? 503 : 200 }));
    const jobId = await pool.send(r.url);
    const dead = await pool.settled(jobId);
    assert.equal(dead.state, 'failed');
    assert.equal(dead.data.attempts.length, 4);

    const [listed] = (await listDeadLetters(pool.queue, pool.endpoints)).filter((d) => d.jobId === jobId);
    assert.equal(listed.messageId, dead.data.messageId);
    assert.equal(listed.eventType, 'study.completed');
    assert.deepEqual(
      listed.attempts.map((a) => a.status),
      [503, 503, 503, 503],
    );

    // Replay by webhook-id: what a receiver's support ticket would quote.
    const report = await replayDeadLetters(pool.queue, pool.endpoints, { ids: [dead.data.messageId, 'msg_unknown'] }, new Date());
    assert.deepEqual(
      report.replayed.map((d) => d.jobId),
      [jobId],
    );
    assert.deepEqual(report.unknown, ['msg_unknown']);
    const done = await pool.settled(jobId);
    assert.equal(done.state, 'completed');
    assert.deepEqual(
      done.data.attempts.map((a) => a.status),
      [503, 503, 503, 503, 503, 200],
    );
    assert.deepEqual(
      done.data.replays.map((p) => p.firstAttempt),
      [4],
    );
    assert.deepEqual(new Set(r.requests.map((q) => q.headers['webhook-id'])), new Set([dead.data.messageId]));
    assert.ok(r.requests.every((q) => q.verified));
  });

  test('replay --since takes the messages that failed from then on, and skips disabled endpoints', async () => {
    let healthy = false;
    const r = await pool.receiver([key], () => ({ status: healthy ? 200 : 500 }));
    const gone = await pool.receiver([key], () => ({ status: 410 }));
    const cutoff = new Date();
    const [a, b, g] = [await pool.send(r.url), await pool.send(r.url), await pool.send(gone.url)];
    for (const id of [a, b, g]) assert.equal((await pool.settled(id)).state, 'failed');

    healthy = true;
    const report = await replayDeadLetters(pool.queue, pool.endpoints, { since: cutoff }, new Date());
    assert.deepEqual(report.replayed.map((d) => d.jobId).sort(), [a, b].sort());
    assert.deepEqual(
      report.skipped.map((s) => [s.deadLetter.jobId, s.why.replace(/since [^;]+/, 'since T')]),
      [[g, 'its endpoint is disabled since T; enable it first']],
    );
    for (const id of [a, b]) assert.equal((await pool.settled(id)).state, 'completed');
    assert.equal(await pool.queue.getJobState(g), 'failed');
  });
});

describe('a private address, with WEBHOOK_ALLOW_PRIVATE off', () => {
  let pool: WebhookPool;
  before(async () => void (pool = await startWebhookPool({ ...FAST_RETRIES, WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_SECRET: key })));
  after(() => pool?.close());

  test('is refused before anything is sent, straight to the dead-letter list', async () => {
    const r = await pool.receiver([key]);
    const { state, job, data } = await pool.settled(await pool.send(r.url));
    assert.equal(state, 'failed');
    assert.deepEqual(
      data.attempts.map((a) => a.outcome),
      ['refused'],
    );
    assert.match(job.failedReason, /not sent: webhook host 127\.0\.0\.1 is a loopback address/);
    assert.equal(r.requests.length, 0);
  });
});
