import type { RedisClient } from '@pneumoscreen/queue';
import { newMessageId } from '@pneumoscreen/contracts';

/** A study event's webhook id: drawn at random the first time, the same every later time, so a
 * finaliser that runs twice queues one message and a receiver can deduplicate on it. */
export interface MessageIds {
  idFor(eventType: string, bucket: string, studyId: string): Promise<string>;
}

/** A finaliser re-runs within minutes (BullMQ retries); a week covers it with room to spare. */
const KEEP_SECONDS = 7 * 24 * 3600;

export class RedisMessageIds implements MessageIds {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async idFor(eventType: string, bucket: string, studyId: string): Promise<string> {
    const key = `${this.prefix}:webhook-message-id:${eventType}:${bucket}:${studyId}`;
    const fresh = newMessageId();
    if ((await this.redis.set(key, fresh, 'EX', KEEP_SECONDS, 'NX')) === 'OK') return fresh;
    return (await this.redis.get(key)) ?? fresh;
  }
}
