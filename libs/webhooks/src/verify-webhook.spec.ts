import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { WebhookVerificationError, signedHeaders } from './signing';
import { verifyWebhook } from './verify-webhook';

const secret = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
const clock = () => new Date('2025-02-03T04:05:06Z');
const body = JSON.stringify({ type: 'study.completed', timestamp: '2025-02-03T04:05:00Z', data: { studyId: 'st-1' } });
const headers = signedHeaders({ id: 'msg_abc', body, secrets: [secret], now: clock });

test('returns the id, the timestamp and the parsed event', () => {
  assert.deepEqual(verifyWebhook({ headers, body, secret, now: clock }), {
    id: 'msg_abc',
    timestamp: clock().getTime() / 1000,
    event: JSON.parse(body),
  });
});

test('accepts a Buffer body and a list of secrets during rotation', () => {
  const old = 'whsec_' + Buffer.alloc(32, 6).toString('base64');
  const result = verifyWebhook({ headers, body: Buffer.from(body), secret: [old, secret], now: clock });
  assert.equal(result.id, 'msg_abc');
});

test('applies the schema it is given', () => {
  const Event = z.object({ type: z.literal('study.completed'), data: z.object({ studyId: z.string() }) });
  const { event } = verifyWebhook({ headers, body, secret, now: clock, schema: Event });
  assert.equal(event.data.studyId, 'st-1');
  const Wrong = z.object({ type: z.literal('study.failed') });
  assert.throws(() => verifyWebhook({ headers, body, secret, now: clock, schema: Wrong }), z.ZodError);
});

test('a parsed object instead of the raw body gets a hint, not a signature error', () => {
  const parsed = JSON.parse(body) as unknown as string;
  assert.throws(() => verifyWebhook({ headers, body: parsed, secret, now: clock }), /raw request body/);
});

test('a tampered body is not authentic', () => {
  assert.throws(
    () => verifyWebhook({ headers, body: body.replace('st-1', 'st-2'), secret, now: clock }),
    (err: unknown) => err instanceof WebhookVerificationError && err.reason === 'no-matching-signature',
  );
});

test('an authentic body that is not JSON says so', () => {
  const text = 'not json';
  const h = signedHeaders({ id: 'msg_text', body: text, secrets: [secret], now: clock });
  assert.throws(() => verifyWebhook({ headers: h, body: text, secret, now: clock }), /msg_text is authentic but its body is not JSON/);
});
