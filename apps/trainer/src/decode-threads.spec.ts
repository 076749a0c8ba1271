import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threadsAfterLoading } from '@pneumoscreen/testing';

test('DECODE_THREADS sizes the pool before the trainer module loads sharp and BullMQ', () => {
  assert.equal(threadsAfterLoading([require.resolve('./decode-threads'), require.resolve('./trainer.module')], { DECODE_THREADS: '7' }), 7);
});
