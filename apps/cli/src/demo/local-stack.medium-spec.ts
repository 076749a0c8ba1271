import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startLocalStack } from './local-stack';

/** Pids of this process's children whose command line matches `pattern`. */
function childPids(pattern: RegExp): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => pattern.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

const settledWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((r) => setTimeout(() => r('pending'), ms)),
  ]);

test('a stack reports an app that dies, by name, and not the apps its own stop ends', async () => {
  const stack = await startLocalStack({ env: { ...process.env, RECONCILE_INTERVAL_MS: '0' }, echo: false, say: () => undefined });
  try {
    assert.equal(await settledWithin(stack.crashed, 200), 'pending');
    const [worker] = childPids(/gpu-worker/);
    assert.ok(worker, 'the stack runs a worker process');
    process.kill(worker, 'SIGKILL');
    // Bounded, so that a stack that never reports fails the test instead of hanging it.
    const reported = Promise.race([
      stack.crashed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no crash reported within 30 s')), 30_000).unref()),
    ]);
    await assert.rejects(reported, /^Error: gpu-worker-1 stopped unexpectedly \(SIGKILL\); its last lines:\n.*model .* ready/s);
  } finally {
    await stack.stop();
  }

  const calm = await startLocalStack({ env: { ...process.env, RECONCILE_INTERVAL_MS: '0' }, echo: false, say: () => undefined });
  await calm.stop();
  assert.equal(await settledWithin(calm.crashed, 500), 'pending');
});
