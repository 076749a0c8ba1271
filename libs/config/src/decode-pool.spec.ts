import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Sizes the pool in a fresh process, makes it start (a dozen parallel hashes), and counts the
 * threads that appeared (libuv starts the whole pool at once, and names no thread here): the
 * variable only matters if it is set before the pool exists. */
function poolThreads(arg: string, env: NodeJS.ProcessEnv): { reported: number; running: number } {
  const script = `
    const { sizeDecodePool } = require(${JSON.stringify(require.resolve('./decode-pool'))});
    const { readdirSync } = require('node:fs');
    const { pbkdf2 } = require('node:crypto');
    const reported = sizeDecodePool(${arg});
    const before = readdirSync('/proc/self/task').length;
    let left = 12;
    for (let i = 0; i < 12; i++) pbkdf2('x', 'y', 20000, 32, 'sha256', () => {
      if (--left) return;
      console.log(JSON.stringify({ reported, running: readdirSync('/proc/self/task').length - before }));
    });`;
  const { UV_THREADPOOL_SIZE: _, ...rest } = process.env;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...rest, ...env }, encoding: 'utf8' }));
}

test('an explicit size is the number of decode threads libuv starts', () => {
  assert.deepEqual(poolThreads('6', {}), { reported: 6, running: 6 });
  assert.deepEqual(poolThreads('6', { UV_THREADPOOL_SIZE: '3' }), { reported: 6, running: 6 });
});

test('without a size, UV_THREADPOOL_SIZE is kept, else one thread per core and never fewer than 4', () => {
  assert.deepEqual(poolThreads('undefined', { UV_THREADPOOL_SIZE: '5' }), { reported: 5, running: 5 });
  const perCore = Math.max(4, availableParallelism());
  assert.deepEqual(poolThreads('undefined', {}), { reported: perCore, running: perCore });
});
