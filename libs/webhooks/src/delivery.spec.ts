import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverWebhook, parseRetryAfter } from './delivery';
import { verify } from './signing';

const secret = 'whsec_' + Buffer.alloc(32, 11).toString('base64');
const body = JSON.stringify({ type: 'study.completed', data: { studyId: 'st-9' } });
const publicUrl = 'https://93.184.216.34/hooks';
const t0 = new Date('2025-05-05T10:00:00Z');

interface Sent {
  url: string;
  init: RequestInit;
}
/** Stands in for the network: records what would go on the wire and answers with `reply`. */
function recordingFetch(reply: () => Response) {
  const sent: Sent[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(url), init: init ?? {} });
    return reply();
  }) as typeof fetch;
  return { sent, fetchImpl };
}

test('parseRetryAfter reads delay-seconds and HTTP dates against the given clock', () => {
  assert.equal(parseRetryAfter('7', t0), 7000);
  assert.equal(parseRetryAfter(' 0 ', t0), 0);
  assert.equal(parseRetryAfter(new Date(t0.getTime() + 90_000).toUTCString(), t0), 90_000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', t0), 0);
  for (const junk of [null, '', 'soon', '1.5', '-5']) assert.equal(parseRetryAfter(junk, t0), null, String(junk));
});

test('every attempt carries the same id and a fresh, verifiable signature', async () => {
  const { sent, fetchImpl } = recordingFetch(() => new Response(null, { status: 500 }));
  const clocks = [t0, new Date(t0.getTime() + 5_000)];
  for (const at of clocks) {
    const attempt = await deliverWebhook({ url: publicUrl, body, id: 'msg_same', secrets: [secret], now: () => at, fetchImpl });
    assert.equal(attempt.outcome, 'retry');
    assert.equal(attempt.at, at.toISOString());
  }
  assert.equal(sent.length, 2);
  sent.forEach(({ init }, i) => {
    const headers = new Headers(init.headers);
    assert.equal(init.method, 'POST');
    assert.equal(init.redirect, 'manual');
    assert.equal(init.body, body);
    assert.equal(headers.get('content-type'), 'application/json');
    assert.equal(headers.get('webhook-timestamp'), String(clocks[i].getTime() / 1000));
    assert.deepEqual(verify({ headers, body, secrets: [secret], now: () => clocks[i] }), {
      id: 'msg_same',
      timestamp: clocks[i].getTime() / 1000,
    });
  });
});

test("the signature timestamp is the attempt's start, even if the clock moves on", async () => {
  const { sent, fetchImpl } = recordingFetch(() => new Response(null, { status: 204 }));
  let ticks = 0;
  const ticking = () => new Date(t0.getTime() + 1000 * ticks++);
  const attempt = await deliverWebhook({ url: publicUrl, body, id: 'msg_1', secrets: secret, now: ticking, fetchImpl });
  assert.equal(attempt.outcome, 'delivered');
  const stamped = Number(new Headers(sent[0].init.headers).get('webhook-timestamp'));
  assert.equal(new Date(stamped * 1000).toISOString(), attempt.at);
});

test('an HTTP-date Retry-After on 503 is measured from the injected clock', async () => {
  const retryAt = new Date(t0.getTime() + 120_000).toUTCString();
  const { fetchImpl } = recordingFetch(() => new Response(null, { status: 503, headers: { 'retry-after': retryAt } }));
  const attempt = await deliverWebhook({ url: publicUrl, body, id: 'msg_1', secrets: secret, now: () => t0, fetchImpl });
  assert.equal(attempt.outcome, 'retry');
  assert.equal(attempt.status, 503);
  assert.equal(attempt.retryAfterMs, 120_000);
});

test('Retry-After is ignored on statuses that do not define it', async () => {
  const { fetchImpl } = recordingFetch(() => new Response(null, { status: 500, headers: { 'retry-after': '60' } }));
  const attempt = await deliverWebhook({ url: publicUrl, body, id: 'msg_1', secrets: secret, now: () => t0, fetchImpl });
  assert.equal(attempt.retryAfterMs, undefined);
  assert.equal(attempt.error, 'HTTP 500');
});

test('private addresses are refused by default, before anything is sent', async () => {
  const { sent, fetchImpl } = recordingFetch(() => new Response(null, { status: 200 }));
  const attempt = await deliverWebhook({ url: 'http://169.254.169.254/latest', body, id: 'msg_1', secrets: secret, fetchImpl });
  assert.equal(attempt.outcome, 'refused');
  assert.match(attempt.error ?? '', /link-local/);
  assert.equal(sent.length, 0);
});

test('an unusable secret is refused without appearing in the error', async () => {
  const { sent, fetchImpl } = recordingFetch(() => new Response(null, { status: 200 }));
  const badSecret = 'whsec_Sup3r-S3cret!';
  const attempt = await deliverWebhook({ url: publicUrl, body, id: 'msg_1', secrets: [badSecret], fetchImpl });
  assert.equal(attempt.outcome, 'refused');
  assert.match(attempt.error ?? '', /secret is malformed/);
  assert.ok(!(attempt.error ?? '').includes('Sup3r'));
  assert.equal(sent.length, 0);
});

test('a thrown network error becomes a retry naming its cause', async () => {
  const fetchImpl = (async () => {
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }) });
  }) as typeof fetch;
  const attempt = await deliverWebhook({ url: publicUrl, body, id: 'msg_1', secrets: secret, fetchImpl });
  assert.deepEqual(
    { outcome: attempt.outcome, error: attempt.error },
    { outcome: 'retry', error: 'fetch failed: ECONNRESET connect ECONNRESET' },
  );
});
