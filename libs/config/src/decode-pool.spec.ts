import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { sizeDecodePool, sizeDecodePoolFromConfig } from './decode-pool';

// Only the variable is checked here; the apps' decode-threads specs count the threads libuv starts.
function withPoolVariable(value: string | undefined, run: () => void): void {
  const saved = process.env.UV_THREADPOOL_SIZE;
  if (value === undefined) delete process.env.UV_THREADPOOL_SIZE;
  else process.env.UV_THREADPOOL_SIZE = value;
  try {
    run();
  } finally {
    if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = saved;
  }
}

test('an explicit size wins over UV_THREADPOOL_SIZE', () => {
  withPoolVariable('3', () => {
    assert.equal(sizeDecodePool(6), 6);
    assert.equal(process.env.UV_THREADPOOL_SIZE, '6');
  });
});

test('without a size, UV_THREADPOOL_SIZE is kept, else one thread per core and never fewer than 4', () => {
  withPoolVariable('5', () => assert.equal(sizeDecodePool(), 5));
  withPoolVariable(undefined, () => assert.equal(sizeDecodePool(), Math.max(4, availableParallelism())));
});

test('DECODE_THREADS comes through the config; a bad one leaves the default for start-up to report', () => {
  withPoolVariable(undefined, () => assert.equal(sizeDecodePoolFromConfig({ DECODE_THREADS: '7' }), 7));
  withPoolVariable(undefined, () => assert.equal(sizeDecodePoolFromConfig({ DECODE_THREADS: '0' }), Math.max(4, availableParallelism())));
});
