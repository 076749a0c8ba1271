import { Queue } from 'bullmq';
import { QueueName } from '@pneumoscreen/contracts';
import type { ReliabilityStack } from '../stack';
import type { Workload } from '../workload';

export interface FaultContext {
  stack: ReliabilityStack;
  workload: Workload;
  /** Studies each fault's wave uploads while the fault is under way. */
  studiesPerWave: number;
}

export interface FaultRecord {
  kind: FaultKind;
  /** What was done and what was seen, for the report. */
  detail: string;
  studies: number;
}

export const FAULT_KINDS = [
  'worker-sigkill',
  'worker-sigterm',
  'redis-restart',
  's3-outage',
  'receiver-down',
  'ingest-sigkill-after-claim',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The image jobs a worker holds, once it holds some (or [] if none within the time). */
export async function jobsInHand(stack: ReliabilityStack, timeoutMs = 60_000): Promise<string[]> {
  const queue = new Queue(QueueName.image, { connection: stack.connect(), prefix: stack.env.REDIS_PREFIX });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const held = (await queue.getActive()).map((j) => j.id!);
      if (held.length > 0 || Date.now() > deadline) return held;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await queue.close();
    await queue.disconnect();
  }
}
