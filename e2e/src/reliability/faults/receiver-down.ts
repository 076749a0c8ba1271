import { Queue } from 'bullmq';
import { QueueName } from '@pneumoscreen/contracts';
import { RedisEndpointStatus, listDeadLetters, replayDeadLetters } from '@pneumoscreen/webhooks';
import type { FaultContext, FaultRecord } from './fault';

/**
 * The tenants' receiver is down for longer than the whole retry schedule, so every message of
 * the wave is dead-lettered; it comes back and the operator replays the dead-letter list (what
 * `pneumoscreen webhooks replay --since` does), under the messages' own webhook-ids.
 */
export async function receiverDown(ctx: FaultContext): Promise<FaultRecord> {
  const since = new Date();
  await ctx.stack.receiver.stop();
  const wave = await ctx.workload.upload(ctx.studiesPerWave);
  const redis = ctx.stack.connect();
  const queue = new Queue(QueueName.webhook, { connection: redis, prefix: ctx.stack.env.REDIS_PREFIX });
  try {
    const endpoints = new RedisEndpointStatus(redis, ctx.stack.env.REDIS_PREFIX!);
    const deadline = Date.now() + 180_000;
    let dead = new Set<string>();
    while (!wave.every((s) => dead.has(s.studyId))) {
      if (Date.now() > deadline) throw new Error(`receiver-down: only ${dead.size} of ${wave.length} studies dead-lettered within 180 s`);
      await new Promise((r) => setTimeout(r, 500));
      dead = new Set((await listDeadLetters(queue, endpoints)).map((d) => d.studyId ?? ''));
    }
    const attempts = (await listDeadLetters(queue, endpoints))
      .filter((d) => wave.some((s) => s.studyId === d.studyId))
      .map((d) => d.attempts.length);
    await ctx.stack.receiver.start();
    const report = await replayDeadLetters(queue, endpoints, { since }, new Date());
    return {
      kind: 'receiver-down',
      detail: `${wave.length} message(s) dead-lettered after ${Math.min(...attempts)}-${Math.max(...attempts)} attempts each; receiver back; ${report.replayed.length} replayed, ${report.skipped.length} skipped`,
      studies: wave.length,
    };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
