import { jobsInHand, type FaultContext, type FaultRecord } from './fault';

const DOWN_MS = 3_000;

/**
 * Redis crashes (SIGKILL, appendfsync everysec: up to the last second of writes is lost) while
 * studies are queued and in the worker's hands, and comes back from its append-only file. Event
 * senders get 503 meanwhile and retry; the reconciler's listing and the repair pass recover
 * what the lost second held.
 */
export async function restartRedis(ctx: FaultContext): Promise<FaultRecord> {
  const uploading = ctx.workload.upload(ctx.studiesPerWave);
  const held = await jobsInHand(ctx.stack);
  await ctx.stack.redis.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, DOWN_MS));
  await ctx.stack.redis.start();
  await uploading;
  return {
    kind: 'redis-restart',
    detail: `SIGKILL with ${held.length} image job(s) active, back from its AOF after ${DOWN_MS / 1000} s`,
    studies: ctx.studiesPerWave,
  };
}
