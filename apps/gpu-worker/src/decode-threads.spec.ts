import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threadsAfterLoading } from '@pneumoscreen/testing';

test('DECODE_THREADS sizes the pool before the worker module loads sharp and BullMQ', () => {
  const modules = [require.resolve('./decode-threads'), require.resolve('./worker.module')];
  assert.equal(threadsAfterLoading(modules, { DECODE_THREADS: '7' }), 7);
  assert.equal(threadsAfterLoading(modules, { DECODE_THREADS: '9' }), 9);
});
