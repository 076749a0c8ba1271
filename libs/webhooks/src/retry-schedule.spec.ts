import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_RETRY_AFTER_MS, nextDelayMs } from './retry-schedule';

const s = 1000;
const m = 60 * s;
const h = 60 * m;

test('follows the Svix schedule, then gives up', () => {
  const delays = Array.from({ length: 9 }, (_, attemptsMade) => nextDelayMs(attemptsMade));
  assert.deepEqual(delays, [0, 5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h, null]);
  assert.equal(nextDelayMs(50), null);
});

test('Retry-After wins only when it asks for longer than the schedule', () => {
  assert.equal(nextDelayMs(1, { retryAfterMs: 7 * s }), 7 * s);
  assert.equal(nextDelayMs(2, { retryAfterMs: 7 * s }), 5 * m);
  assert.equal(nextDelayMs(1, { retryAfterMs: -3 }), 5 * s);
});

test('Retry-After is capped, and cannot revive an exhausted schedule', () => {
  assert.equal(nextDelayMs(1, { retryAfterMs: 10 * DEFAULT_MAX_RETRY_AFTER_MS }), DEFAULT_MAX_RETRY_AFTER_MS);
  assert.equal(nextDelayMs(1, { retryAfterMs: 2 * h, maxRetryAfterMs: h }), h);
  assert.equal(nextDelayMs(8, { retryAfterMs: s }), null);
});

test('the schedule is configurable', () => {
  const scheduleMs = [0, 100, 200];
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => nextDelayMs(n, { scheduleMs })),
    [0, 100, 200, null],
  );
});

test('jitter spreads the delay within the given fraction, using the injected random', () => {
  const jittered = (r: number) => nextDelayMs(3, { jitter: 0.2, random: () => r });
  assert.equal(jittered(0), 24 * m);
  assert.equal(jittered(0.5), 30 * m);
  assert.equal(jittered(0.999999), Math.round(30 * m * (1 + 0.2 * (2 * 0.999999 - 1))));
  assert.equal(nextDelayMs(0, { jitter: 0.2, random: () => 0.9 }), 0);
  assert.equal(nextDelayMs(1, { jitter: 0.5, random: () => 0, retryAfterMs: 4 * s }), 4 * s);
});

test('rejects nonsense arguments', () => {
  assert.throws(() => nextDelayMs(-1), RangeError);
  assert.throws(() => nextDelayMs(1.5), RangeError);
  assert.throws(() => nextDelayMs(1, { jitter: 2 }), RangeError);
});
