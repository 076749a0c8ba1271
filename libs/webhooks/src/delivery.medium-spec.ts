import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressInfo, createServer } from 'node:net';
import { ReceiverResponse, WebhookReceiver, startWebhookReceiver } from '@pneumoscreen/testing';
import { DeliverWebhookInput, deliverWebhook } from './delivery';

const secretA = 'whsec_' + Buffer.alloc(32, 21).toString('base64');
const secretB = 'whsec_' + Buffer.alloc(32, 22).toString('base64');
const body = JSON.stringify({ type: 'study.completed', data: { studyId: 'st-medium', decision: 'NORMAL' } });
// Receivers listen on loopback, which the address guard rightly refuses in production.
const loopbackAllowed = { allowPrivate: true };

const receivers: WebhookReceiver[] = [];
after(() => Promise.all(receivers.map((r) => r.close())));

async function receiver(respond?: (n: number) => ReceiverResponse, secrets = [secretA]): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver({ secrets, respond: respond && ((_req, n) => respond(n)) });
  receivers.push(r);
  return r;
}

function deliver(url: string, extra: Partial<DeliverWebhookInput> = {}) {
  return deliverWebhook({ url, body, id: 'msg_medium', secrets: [secretA], addressPolicy: loopbackAllowed, ...extra });
}

test('200: delivered, and the reference library verifies the signature', async () => {
  const r = await receiver();
  const attempt = await deliver(r.url);
  assert.equal(attempt.outcome, 'delivered');
  assert.equal(attempt.status, 200);
  assert.equal(attempt.error, undefined);
  assert.ok(attempt.latencyMs >= 0);
  assert.equal(r.requests.length, 1);
  const [req] = r.requests;
  assert.equal(req.method, 'POST');
  assert.equal(req.body, body);
  assert.equal(req.headers['webhook-id'], 'msg_medium');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.verified, true, req.error);
});

test('500: retry naming the status', async () => {
  const r = await receiver(() => ({ status: 500 }));
  const attempt = await deliver(r.url);
  assert.deepEqual(
    { outcome: attempt.outcome, status: attempt.status, error: attempt.error },
    {
      outcome: 'retry',
      status: 500,
      error: 'HTTP 500',
    },
  );
  assert.equal(r.requests[0].verified, true);
});

test('a receiver slower than timeoutMs: retry with a timeout error that leaks nothing', async () => {
  const r = await receiver(() => ({ status: 200, delayMs: 10_000 }));
  const attempt = await deliver(r.url, { timeoutMs: 150 });
  assert.equal(attempt.outcome, 'retry');
  assert.equal(attempt.status, undefined);
  assert.equal(attempt.error, 'timed out after 150 ms');
  assert.ok(attempt.latencyMs >= 100 && attempt.latencyMs < 5_000, `latency ${attempt.latencyMs}`);
  assert.equal(r.requests.length, 1);
});

test('429 with Retry-After: 7 asks for 7 s', async () => {
  const r = await receiver(() => ({ status: 429, headers: { 'retry-after': '7' } }));
  const attempt = await deliver(r.url);
  assert.equal(attempt.outcome, 'retry');
  assert.equal(attempt.status, 429);
  assert.equal(attempt.retryAfterMs, 7000);
});

test('410: gone', async () => {
  const r = await receiver(() => ({ status: 410 }));
  const attempt = await deliver(r.url);
  assert.equal(attempt.outcome, 'gone');
  assert.equal(attempt.status, 410);
});

test('302 is a retryable failure and the redirect target never hears of it', async () => {
  const target = await receiver();
  const r = await receiver(() => ({ status: 302, headers: { location: target.url } }));
  const attempt = await deliver(r.url);
  assert.equal(attempt.outcome, 'retry');
  assert.equal(attempt.status, 302);
  assert.match(attempt.error ?? '', /302.*redirects are not followed/);
  assert.equal(r.requests.length, 1);
  assert.equal(target.requests.length, 0);
});

test('signed with two secrets during rotation, it verifies with either', async () => {
  const both = await receiver(undefined, [secretA, secretB]);
  const onlyNew = await receiver(undefined, [secretB]);
  const unrelated = await receiver(undefined, ['whsec_' + Buffer.alloc(32, 23).toString('base64')]);
  for (const r of [both, onlyNew, unrelated]) {
    assert.equal((await deliver(r.url, { secrets: [secretA, secretB] })).outcome, 'delivered');
  }
  assert.deepEqual(both.requests[0].verifiedBy, [0, 1]);
  assert.deepEqual(onlyNew.requests[0].verifiedBy, [0]);
  assert.equal(unrelated.requests[0].verified, false);
  assert.match(unrelated.requests[0].error ?? '', /No matching signature/);
});

test('a refused connection is a retry with the network error', async () => {
  // Bind and release a port so that nothing listens on it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const attempt = await deliver(`http://127.0.0.1:${port}/webhook`);
  assert.equal(attempt.outcome, 'retry');
  assert.match(attempt.error ?? '', /ECONNREFUSED/);
  assert.ok(!(attempt.error ?? '').includes(secretA.slice(6)) && !(attempt.error ?? '').includes('st-medium'));
});

test('loopback is refused when private addresses are not allowed', async () => {
  const r = await receiver();
  const attempt = await deliver(r.url, { addressPolicy: { allowPrivate: false } });
  assert.equal(attempt.outcome, 'refused');
  assert.equal(r.requests.length, 0);
});
