import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threadsAfterLoading } from '@pneumoscreen/testing';

test('DECODE_THREADS sizes the pool before the CLI commands load sharp and BullMQ', () => {
  assert.equal(threadsAfterLoading([require.resolve('./decode-threads'), require.resolve('./commands/bench')], { DECODE_THREADS: '7' }), 7);
});
