import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from './config';

/** libuv's own default pool size; never shrink below it, file and DNS work share the pool. */
const LIBUV_DEFAULT = 4;

/**
 * Sizes the thread pool that decodes images. sharp runs each decode on libuv's pool, one thread
 * per image on glibc Linux (`sharp.concurrency()` is 1 there), and that pool has 4 threads unless
 * UV_THREADPOOL_SIZE says otherwise: a 16-core GPU host would decode on 4 cores while the GPU
 * waits. libuv reads the variable once, when the pool first runs work, and loading sharp or
 * BullMQ already does: call this before they are imported (see the apps' `decode-threads.ts`).
 *
 * `threads` wins when given; otherwise an UV_THREADPOOL_SIZE already set is kept, else one thread
 * per core (at least libuv's 4). Returns the size in effect.
 */
export function sizeDecodePool(threads?: number): number {
  if (threads !== undefined) process.env.UV_THREADPOOL_SIZE = String(threads);
  else if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.max(LIBUV_DEFAULT, availableParallelism()));
  return Number(process.env.UV_THREADPOOL_SIZE);
}

/** `sizeDecodePool` with DECODE_THREADS from the validated configuration. A bad environment leaves
 * the defaults in place: the app's start-up loads the configuration again and reports it, naming
 * the variable. */
export function sizeDecodePoolFromConfig(env: NodeJS.ProcessEnv = process.env): number {
  let threads: number | undefined;
  try {
    threads = loadConfig(env).decodeThreads;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
  return sizeDecodePool(threads);
}
