import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWebhookReceiver, type WebhookReceiver } from '@pneumoscreen/testing';
import { FAST_RETRIES, secret, startWebhookPool, type WebhookPool } from './webhook-pool.test-harness';

const [aOld, aNew, bOnly] = [secret(41), secret(42), secret(43)];

/** Two tenants on one deployment: each endpoint signs with its own secrets, so a secret one
 * customer holds verifies nothing sent to another. */
describe('per-endpoint secrets through the real worker', () => {
  let pool: WebhookPool;
  let a: WebhookReceiver;
  let b: WebhookReceiver;
  before(async () => {
    // Each receiver knows every secret, to report which of them signed each request.
    [a, b] = await Promise.all([
      startWebhookReceiver({ secrets: [aOld, aNew, bOnly] }),
      startWebhookReceiver({ secrets: [aOld, aNew, bOnly] }),
    ]);
    const tenants = [
      { id: 'hospital-a', locations: [{ bucket: 'hospital-a' }], endpoints: [{ url: a.url, secrets: [aOld, aNew] }] },
      { id: 'hospital-b', locations: [{ bucket: 'hospital-b' }], endpoints: [{ url: b.url, secrets: [bOnly] }] },
    ];
    pool = await startWebhookPool({ ...FAST_RETRIES, WEBHOOK_MAX_ATTEMPTS: '1', TENANTS: JSON.stringify(tenants) });
  });
  after(async () => {
    await pool?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  test("each endpoint's deliveries carry its own secrets, every current one during a rotation", async () => {
    assert.equal((await pool.settled(await pool.send(a.url, undefined, 'hospital-a'))).state, 'completed');
    assert.equal((await pool.settled(await pool.send(b.url, undefined, 'hospital-b'))).state, 'completed');
    assert.deepEqual(
      a.requests.map((r) => r.verifiedBy),
      [[0, 1]],
    );
    assert.deepEqual(
      b.requests.map((r) => r.verifiedBy),
      [[2]],
    );
  });

  test("a message naming another tenant's endpoint is never sent, and the dead-letter list says why", async () => {
    const { state, job } = await pool.settled(await pool.send(b.url, undefined, 'hospital-a'));
    assert.equal(state, 'failed');
    assert.match(job.failedReason ?? '', /not configured with a secret for tenant hospital-a/);
    assert.equal(b.requests.length, 1);
  });
});
