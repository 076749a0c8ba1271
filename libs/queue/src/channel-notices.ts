import type { RedisClient } from './connection';
import { ChannelChangeNotice, channelNoticeTopic } from '@pneumoscreen/contracts';
import { createRedisConnection } from './connection';

/** Tells every subscriber of this deployment that a model channel changed; resolves to how many
 * received it (0 is fine: nobody listening, or they poll). */
export function publishChannelNotice(redis: RedisClient, redisPrefix: string, notice: ChannelChangeNotice): Promise<number> {
  return redis.publish(channelNoticeTopic(redisPrefix), JSON.stringify(ChannelChangeNotice.parse(notice)));
}

/**
 * Calls `onNotice` for every channel change published in this deployment, until the returned
 * function is called. Pub/sub needs a connection of its own; it reconnects and resubscribes by
 * itself, and what it misses meanwhile the polling fallback catches. Malformed messages are
 * dropped: they can only be hints.
 */
export async function subscribeChannelNotices(
  redisUrl: string,
  redisPrefix: string,
  onNotice: (notice: ChannelChangeNotice) => void,
): Promise<() => Promise<void>> {
  const topic = channelNoticeTopic(redisPrefix);
  const connection = createRedisConnection(redisUrl, 'worker', { connectionName: 'pneumoscreen-channel-notices' });
  connection.on('message', (from: string, message: string) => {
    if (from !== topic) return;
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      return;
    }
    const parsed = ChannelChangeNotice.safeParse(json);
    if (parsed.success) onNotice(parsed.data);
  });
  try {
    await connection.subscribe(topic);
  } catch (e) {
    connection.disconnect();
    throw e;
  }
  return async () => {
    await connection.quit().catch(() => connection.disconnect());
  };
}
