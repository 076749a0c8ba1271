import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideNextStep, type NextStep, type RetryPolicy } from './retry-decision';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const t0 = new Date('2025-06-01T12:00:00Z');
const failure = { outcome: 'retry' as const, status: 500, error: 'HTTP 500' };
const svix: RetryPolicy = { maxAttempts: 8 };

/** A clock the test moves by hand: each retry lands exactly where the schedule says. */
function fakeClock(start: Date) {
  let now = start.getTime();
  return { now: () => new Date(now), set: (at: Date) => void (now = at.getTime()) };
}

function retryAt(step: NextStep): Date {
  assert.equal(step.kind, 'retry', JSON.stringify(step));
  return (step as Extract<NextStep, { kind: 'retry' }>).at;
}

test('a failing receiver is retried on the Svix schedule, then dead-lettered after the eighth attempt', () => {
  const clock = fakeClock(t0);
  const gaps: number[] = [];
  let step: NextStep = { kind: 'done' };
  for (let attempt = 1; attempt <= 8; attempt++) {
    step = decideNextStep(failure, attempt, svix, clock.now());
    if (step.kind !== 'retry') break;
    gaps.push(step.at.getTime() - clock.now().getTime());
    clock.set(step.at);
  }
  assert.deepEqual(gaps, [5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]);
  assert.deepEqual(step, { kind: 'dead-letter', reason: 'gave up after 8 attempts; the last: HTTP 500', disableEndpoint: false });
  assert.equal(clock.now().getTime() - t0.getTime(), 5 * s + 5 * m + 30 * m + 2 * h + 5 * h + 20 * h);
});

test('a delivery ends the message, whatever failed before', () => {
  assert.deepEqual(decideNextStep({ outcome: 'delivered', status: 204 }, 4, svix, t0), { kind: 'done' });
});

test('Retry-After on 429 pushes the next attempt later than the schedule, never earlier', () => {
  assert.deepEqual(
    retryAt(decideNextStep({ ...failure, status: 429, retryAfterMs: 90 * s }, 1, svix, t0)),
    new Date(t0.getTime() + 90 * s),
  );
  assert.deepEqual(retryAt(decideNextStep({ ...failure, status: 429, retryAfterMs: 1 * s }, 2, svix, t0)), new Date(t0.getTime() + 5 * m));
});

test('410 dead-letters at once and disables the endpoint', () => {
  const step = decideNextStep({ outcome: 'gone', status: 410 }, 1, svix, t0);
  assert.deepEqual(step, { kind: 'dead-letter', reason: 'the endpoint answered 410 Gone and is now disabled', disableEndpoint: true });
});

test('a refused URL is dead-lettered at once with the refusal', () => {
  const step = decideNextStep({ outcome: 'refused', error: 'webhook host 127.0.0.1 is a loopback address' }, 1, svix, t0);
  assert.deepEqual(step, { kind: 'dead-letter', reason: 'not sent: webhook host 127.0.0.1 is a loopback address', disableEndpoint: false });
});

test('maxAttempts cuts the schedule short, or repeats its last delay', () => {
  const short = { maxAttempts: 3, scheduleMs: [0, 100, 200, 300] };
  assert.deepEqual(retryAt(decideNextStep(failure, 2, short, t0)), new Date(t0.getTime() + 200));
  assert.equal(decideNextStep(failure, 3, short, t0).kind, 'dead-letter');
  const long = { maxAttempts: 5, scheduleMs: [0, 100, 200] };
  assert.deepEqual(retryAt(decideNextStep(failure, 4, long, t0)), new Date(t0.getTime() + 200));
  assert.equal(decideNextStep(failure, 5, long, t0).kind, 'dead-letter');
});

test('jitter comes from the injected random source', () => {
  const policy = { maxAttempts: 8, jitter: 0.1 };
  assert.deepEqual(retryAt(decideNextStep(failure, 3, { ...policy, random: () => 0 }, t0)), new Date(t0.getTime() + 27 * m));
  assert.deepEqual(retryAt(decideNextStep(failure, 3, { ...policy, random: () => 0.5 }, t0)), new Date(t0.getTime() + 30 * m));
});

test('a nonsense policy is refused', () => {
  assert.throws(() => decideNextStep(failure, 1, { maxAttempts: 0 }, t0), RangeError);
  assert.throws(() => decideNextStep(failure, 1, { maxAttempts: 3, scheduleMs: [] }, t0), RangeError);
});
