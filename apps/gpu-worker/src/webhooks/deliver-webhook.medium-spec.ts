import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAST_RETRIES, secret, startWebhookPool, type WebhookPool } from './webhook-pool.test-harness';

const current = secret(31);
const retired = secret(32);

/** The worker's webhook pool for real: Nest, BullMQ and Redis, delivering to receivers on
 * loopback that check signatures with the reference Standard Webhooks library. */
describe('webhook delivery through the real worker', () => {
  let pool: WebhookPool;
  before(async () => void (pool = await startWebhookPool({ ...FAST_RETRIES, WEBHOOK_SECRET: current })));
  after(() => pool?.close());

  test('200: delivered once, verified, one attempt recorded', async () => {
    const r = await pool.receiver([current]);
    const { state, data } = await pool.settled(await pool.send(r.url));
    assert.equal(state, 'completed');
    assert.equal(r.requests.length, 1);
    assert.equal(r.requests[0].verified, true, r.requests[0].error);
    assert.equal(r.requests[0].headers['webhook-id'], data.messageId);
    assert.deepEqual(
      data.attempts.map((a) => [a.outcome, a.status]),
      [['delivered', 200]],
    );
  });

  test('a receiver failing 3 times then succeeding gets one logical delivery under one webhook-id', async () => {
    const r = await pool.receiver([current], (n) => ({ status: n <= 3 ? 500 : 204 }));
    const jobId = await pool.send(r.url);
    const { state, data } = await pool.settled(jobId);
    assert.equal(state, 'completed');
    assert.deepEqual(
      data.attempts.map((a) => [a.outcome, a.status, a.error]),
      [
        ['retry', 500, 'HTTP 500'],
        ['retry', 500, 'HTTP 500'],
        ['retry', 500, 'HTTP 500'],
        ['delivered', 204, undefined],
      ],
    );
    assert.deepEqual(new Set(r.requests.map((q) => q.headers['webhook-id'])), new Set([data.messageId]));
    assert.ok(r.requests.every((q) => q.verified && q.body === r.requests[0].body));
    const at = r.requests.map((q) => q.receivedAt);
    at.slice(1).forEach((t, i) => assert.ok(t - at[i] >= 95, `retry ${i + 1} came ${t - at[i]} ms after the last`));
    const jobs = await pool.queue.getJobs(['completed', 'failed', 'delayed', 'wait', 'active']);
    assert.deepEqual(
      jobs.filter((j) => j.data.messageId === data.messageId).map((j) => j.id),
      [jobId],
      'one job, never a second',
    );
  });

  test('a receiver slower than the timeout: that attempt times out, the next delivers', async () => {
    const r = await pool.receiver([current], (n) => ({ status: 200, delayMs: n === 1 ? 5_000 : 0 }));
    const { state, data } = await pool.settled(await pool.send(r.url));
    assert.equal(state, 'completed');
    assert.deepEqual(
      data.attempts.map((a) => [a.outcome, a.error]),
      [
        ['retry', 'timed out after 300 ms'],
        ['delivered', undefined],
      ],
    );
    assert.ok(data.attempts[0].latencyMs >= 250 && data.attempts[0].latencyMs < 2_000, `latency ${data.attempts[0].latencyMs}`);
  });

  test('429 with Retry-After: the next attempt waits as asked, not the 100 ms schedule', async () => {
    const r = await pool.receiver([current], (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const { state, data } = await pool.settled(await pool.send(r.url));
    assert.equal(state, 'completed');
    assert.deepEqual(
      data.attempts.map((a) => a.status),
      [429, 200],
    );
    const gap = r.requests[1].receivedAt - r.requests[0].receivedAt;
    assert.ok(gap >= 990, `second attempt came ${gap} ms after a 429 asking for 1 s`);
  });

  test('a redirect is never followed: retried, then dead-lettered, and its target hears nothing', async () => {
    const target = await pool.receiver([current]);
    const r = await pool.receiver([current], () => ({ status: 307, headers: { location: target.url } }));
    const { state, job, data } = await pool.settled(await pool.send(r.url));
    assert.equal(state, 'failed');
    assert.equal(data.attempts.length, 4);
    assert.ok(data.attempts.every((a) => a.status === 307 && a.error === 'HTTP 307: redirects are not followed'));
    assert.match(job.failedReason, /gave up after 4 attempts; the last: HTTP 307: redirects are not followed/);
    assert.equal(r.requests.length, 4);
    assert.equal(target.requests.length, 0);
  });
});

describe('secret rotation through the real worker', () => {
  let pool: WebhookPool;
  before(async () => void (pool = await startWebhookPool({ ...FAST_RETRIES, WEBHOOK_SECRET: `${retired},${current}` })));
  after(() => pool?.close());

  test('signed with the old and the new secret, a receiver that knows only the new one verifies it', async () => {
    const r = await pool.receiver([current]);
    const { state } = await pool.settled(await pool.send(r.url));
    assert.equal(state, 'completed');
    assert.equal(r.requests[0].verified, true, r.requests[0].error);
    assert.equal(String(r.requests[0].headers['webhook-signature']).split(' ').length, 2);
    const stale = await pool.receiver([secret(33)]);
    await pool.settled(await pool.send(stale.url));
    assert.equal(stale.requests[0].verified, false, 'a receiver with neither secret rejects it');
  });
});

describe('deliveries in flight at once (WEBHOOK_CONCURRENCY)', () => {
  let pool: WebhookPool;
  before(
    async () =>
      void (pool = await startWebhookPool({
        ...FAST_RETRIES,
        WEBHOOK_SECRET: current,
        WEBHOOK_TIMEOUT_MS: '10000',
        WEBHOOK_CONCURRENCY: '4',
      })),
  );
  after(() => pool?.close());

  test('a slow receiver gets the next messages while it still holds the first', async () => {
    const slowMs = 1500;
    const r = await pool.receiver([current], () => ({ status: 204, delayMs: slowMs }));
    const jobs = await Promise.all(Array.from({ length: 4 }, () => pool.send(r.url)));
    for (const jobId of jobs) assert.equal((await pool.settled(jobId)).state, 'completed');
    const arrivals = r.requests.map((q) => q.receivedAt);
    // One at a time, each would arrive only after the one before had been answered.
    assert.ok(
      Math.max(...arrivals) - Math.min(...arrivals) < slowMs,
      `arrivals spread over ${Math.max(...arrivals) - Math.min(...arrivals)} ms`,
    );
  });
});
