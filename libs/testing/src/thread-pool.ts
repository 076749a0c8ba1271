import { execFileSync } from 'node:child_process';

/**
 * Loads `modules` in order in a fresh Node process, then keeps libuv's pool busy, and returns how
 * many threads the process gained in all: libuv starts its whole pool at once, and sharp and
 * BullMQ start it as they load, so an entry module that sizes the pool must come first to count.
 */
export function threadsAfterLoading(modules: string[], env: NodeJS.ProcessEnv): number {
  const script = `
    const { readdirSync } = require('node:fs');
    const { pbkdf2 } = require('node:crypto');
    const before = readdirSync('/proc/self/task').length;
    for (const m of ${JSON.stringify(modules)}) require(m);
    let left = 32;
    for (let i = 0; i < 32; i++) pbkdf2('x', 'y', 20000, 32, 'sha256', () => {
      if (--left === 0) console.log(readdirSync('/proc/self/task').length - before);
    });`;
  const { UV_THREADPOOL_SIZE: _, ...rest } = process.env;
  return Number(execFileSync(process.execPath, ['-e', script], { env: { ...rest, ...env }, encoding: 'utf8' }).trim());
}
