import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSince } from './dead-letters';

const now = new Date('2025-06-01T12:00:00Z');

test('--since reads a span back from now', () => {
  assert.deepEqual(parseSince('30m', now), new Date('2025-06-01T11:30:00Z'));
  assert.deepEqual(parseSince('2h', now), new Date('2025-06-01T10:00:00Z'));
  assert.deepEqual(parseSince('7d', now), new Date('2025-05-25T12:00:00Z'));
});

test('--since reads ISO 8601 dates and times', () => {
  assert.deepEqual(parseSince('2025-05-31', now), new Date('2025-05-31T00:00:00Z'));
  assert.deepEqual(parseSince('2025-05-31T08:15:00+02:00', now), new Date('2025-05-31T06:15:00Z'));
});

test('--since refuses anything else, saying what it takes', () => {
  for (const text of ['yesterday', '2h ago', '5', '10s', '06/01/2025', '2025-13-45']) {
    assert.throws(() => parseSince(text, now), /--since takes an ISO 8601 time .* or a span back from now/, text);
  }
});
