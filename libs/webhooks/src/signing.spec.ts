import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { sharedDir } from '@pneumoscreen/testing';
import { WebhookSecretError, WebhookVerificationError, parseSecret, sign, signedHeaders, verify } from './signing';

const peerCases = path.join(sharedDir(), 'peer-cases', 'webhooks');
const load = (name: string) => JSON.parse(readFileSync(path.join(peerCases, name), 'utf8'));

interface Vector {
  name: string;
  secret: string;
  id: string;
  timestamp: number;
  payload: string;
  signature: string;
  valid: boolean;
  check_timestamp: boolean;
}
const vectors: Vector[] = load('standard-webhooks-v1-vectors.json').vectors;
const svix = load('svix-docs-example.json');
const fixed = vectors.find((v) => v.name === 'sign-vector')!;
const at = (seconds: number) => () => new Date(seconds * 1000);
// Any clock years after the vectors were made: the tolerance rule is what is being exercised.
const today = () => new Date('2025-06-01T00:00:00Z');

test('the vector set is the one expected', () => {
  assert.equal(vectors.length, 11);
  assert.ok(vectors.some((v) => v.valid) && vectors.some((v) => !v.valid));
});

for (const v of vectors) {
  test(`vector ${v.name}: ${v.valid ? 'verifies' : 'is rejected'}`, () => {
    const run = () =>
      verify({
        headers: { 'webhook-id': v.id, 'webhook-timestamp': String(v.timestamp), 'webhook-signature': v.signature },
        body: v.payload,
        secrets: [v.secret],
        now: v.check_timestamp ? today : at(v.timestamp),
      });
    if (v.valid) {
      assert.deepEqual(run(), { id: v.id, timestamp: v.timestamp });
    } else {
      const reason = v.check_timestamp ? 'timestamp-too-old' : 'no-matching-signature';
      assert.throws(run, (err: unknown) => err instanceof WebhookVerificationError && err.reason === reason);
    }
  });
}

test('sign reproduces every valid single-signature vector', () => {
  const singles = vectors.filter((v) => v.valid && !v.signature.includes(' '));
  assert.equal(singles.length, 2);
  for (const v of singles) {
    assert.equal(sign({ id: v.id, timestamp: v.timestamp, body: v.payload, secret: v.secret }), v.signature);
  }
});

test('the Svix docs example verifies under its svix-* header names', () => {
  const result = verify({ headers: svix.headers, body: svix.payload, secrets: [svix.secret], now: at(svix.timestamp) });
  assert.equal(result.id, svix.id);
  assert.equal(sign({ id: svix.id, timestamp: svix.timestamp, body: svix.payload, secret: svix.secret }), svix.signature);
});

test('only v1 entries count: the right HMAC under another version label is rejected', () => {
  const hmac = fixed.signature.slice('v1,'.length);
  for (const signature of [`v2,${hmac}`, `v1a,${hmac}`, hmac]) {
    const headers = { 'webhook-id': fixed.id, 'webhook-timestamp': String(fixed.timestamp), 'webhook-signature': signature };
    assert.throws(() => verify({ headers, body: fixed.payload, secrets: [fixed.secret], now: at(fixed.timestamp) }), {
      reason: 'no-matching-signature',
    });
  }
});

test('a Buffer body signs the same as its string', () => {
  const body = Buffer.from(fixed.payload, 'utf8');
  assert.equal(sign({ id: fixed.id, timestamp: fixed.timestamp, body, secret: fixed.secret }), fixed.signature);
});

test('parseSecret rejects malformed secrets without echoing them', () => {
  for (const bad of ['whsec_', '', 'whsec_not base64!!', 'whsec_c2VjcmV0LXZhbHVl=x', 'whsec_abc']) {
    assert.throws(
      () => parseSecret(bad),
      (err: unknown) =>
        err instanceof WebhookSecretError &&
        /malformed/.test(err.message) &&
        (bad.length <= 'whsec_'.length || !err.message.includes(bad.slice(6))),
    );
  }
  assert.equal(parseSecret(fixed.secret).length, 24);
});

test('rotation: one signature per secret, and either secret alone verifies', () => {
  const second = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
  const header = sign({ id: fixed.id, timestamp: fixed.timestamp, body: fixed.payload, secret: [fixed.secret, second] });
  const parts = header.split(' ');
  assert.equal(parts.length, 2);
  assert.equal(parts[0], fixed.signature);
  const headers = { 'webhook-id': fixed.id, 'webhook-timestamp': String(fixed.timestamp), 'webhook-signature': header };
  for (const secrets of [[fixed.secret], [second], [second, fixed.secret]]) {
    assert.doesNotThrow(() => verify({ headers, body: fixed.payload, secrets, now: at(fixed.timestamp) }));
  }
  const stranger = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
  assert.throws(() => verify({ headers, body: fixed.payload, secrets: [stranger], now: at(fixed.timestamp) }), {
    reason: 'no-matching-signature',
  });
});

test('timestamp tolerance holds in both directions, inclusive at the limit', () => {
  const signedAt = fixed.timestamp;
  const check = (offset: number, toleranceSeconds?: number) => () =>
    verify({
      headers: { 'webhook-id': fixed.id, 'webhook-timestamp': String(signedAt), 'webhook-signature': fixed.signature },
      body: fixed.payload,
      secrets: [fixed.secret],
      now: at(signedAt + offset),
      toleranceSeconds,
    });
  assert.doesNotThrow(check(300));
  assert.doesNotThrow(check(-300));
  assert.throws(check(301), { reason: 'timestamp-too-old' });
  assert.throws(check(-301), { reason: 'timestamp-too-new' });
  assert.throws(check(61, 60), { reason: 'timestamp-too-old' });
});

test('malformed and missing headers are named', () => {
  const base = { 'webhook-id': fixed.id, 'webhook-timestamp': String(fixed.timestamp), 'webhook-signature': fixed.signature };
  const run = (headers: Record<string, string>) => () =>
    verify({ headers, body: fixed.payload, secrets: [fixed.secret], now: at(fixed.timestamp) });
  assert.throws(run({ ...base, 'webhook-timestamp': `${fixed.timestamp}abc` }), { reason: 'invalid-timestamp' });
  const { 'webhook-signature': _dropped, ...unsigned } = base;
  assert.throws(run(unsigned), (err: unknown) => {
    assert.ok(err instanceof WebhookVerificationError);
    assert.equal(err.reason, 'missing-header');
    assert.match(err.message, /webhook-signature/);
    assert.doesNotMatch(err.message, /webhook-id/);
    return true;
  });
});

test('headers are read case-insensitively from records and from fetch Headers', () => {
  const entries = { 'Webhook-Id': fixed.id, 'WEBHOOK-TIMESTAMP': String(fixed.timestamp), 'webhook-signature': fixed.signature };
  for (const headers of [entries, new Headers(entries)]) {
    assert.equal(verify({ headers, body: fixed.payload, secrets: [fixed.secret], now: at(fixed.timestamp) }).id, fixed.id);
  }
});

test('signedHeaders stamps the clock in whole seconds and signs with every secret', () => {
  const second = 'whsec_' + Buffer.alloc(24, 1).toString('base64');
  const headers = signedHeaders({
    id: fixed.id,
    body: fixed.payload,
    secrets: [fixed.secret, second],
    now: () => new Date(fixed.timestamp * 1000 + 999),
  });
  assert.deepEqual(headers, {
    'webhook-id': fixed.id,
    'webhook-timestamp': String(fixed.timestamp),
    'webhook-signature': sign({ id: fixed.id, timestamp: fixed.timestamp, body: fixed.payload, secret: [fixed.secret, second] }),
    'content-type': 'application/json',
  });
});

test('interop: the reference library verifies what we sign, with one secret or two', () => {
  const other = 'whsec_' + Buffer.alloc(32, 3).toString('base64');
  const body = JSON.stringify({ type: 'study.completed', data: { studyId: 's-1' } });
  // The reference library checks the timestamp against the real clock, so sign with it.
  const headers = signedHeaders({ id: 'msg_interop', body, secrets: [fixed.secret, other] });
  for (const secret of [fixed.secret, other]) {
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  }
  assert.throws(() => new Webhook(fixed.secret).verify(body + ' ', { ...headers }));
});

test('interop: we verify what the reference library signs', () => {
  const signedAt = new Date('2024-03-01T12:00:00Z');
  const body = '{"hello":"world"}';
  const signature = new Webhook(fixed.secret).sign('msg_theirs', signedAt, body);
  const headers = {
    'webhook-id': 'msg_theirs',
    'webhook-timestamp': String(signedAt.getTime() / 1000),
    'webhook-signature': signature,
  };
  assert.deepEqual(verify({ headers, body, secrets: [fixed.secret], now: () => signedAt }), {
    id: 'msg_theirs',
    timestamp: signedAt.getTime() / 1000,
  });
  assert.throws(() => verify({ headers, body: '{"hello":"World"}', secrets: [fixed.secret], now: () => signedAt }), {
    reason: 'no-matching-signature',
  });
});
