import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { threadsAfterLoading } from '@pneumoscreen/testing';

test('the CLI sizes the decode pool before its commands load sharp and BullMQ', () => {
  const modules = [require.resolve('./decode-threads'), require.resolve('./commands/bench')];
  assert.equal(threadsAfterLoading(modules, { UV_THREADPOOL_SIZE: '6' }), 6);
  assert.equal(threadsAfterLoading(modules, {}), Math.max(4, availableParallelism()));
});
