import { Redis, type RedisOptions } from 'ioredis';
import { redisOptionsFromUrl } from './redis-url';

export type ConnectionRole = 'worker' | 'producer';

/** BullMQ's documented settings: workers must never give up on a command
 * (`maxRetriesPerRequest: null`), while producers and HTTP handlers should fail fast so a request
 * gets an error rather than hanging while Redis is down. */
export function createRedisConnection(url: string, role: ConnectionRole, extra: RedisOptions = {}): Redis {
  return new Redis({
    ...redisOptionsFromUrl(url),
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableOfflineQueue: role === 'worker',
    connectionName: `pneumoscreen-${role}`,
    ...extra,
  });
}

/**
 * Logs one line when a long-lived connection loses Redis and one when it is back. Without an
 * error listener ioredis prints "Unhandled error event" for every failed reconnect, several a
 * second for as long as Redis is down.
 */
export function logOutages(redis: Redis, log: (line: string) => void): Redis {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log(`Redis connection ${redis.options.connectionName} lost (${err.message}); reconnecting`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log(`Redis connection ${redis.options.connectionName} is back`);
  });
  return redis;
}

/** BullMQ loses jobs silently when Redis evicts keys; say so at start-up instead. */
export async function checkEvictionPolicy(redis: Redis): Promise<string | null> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    return policy === 'noeviction' ? null : `Redis maxmemory-policy is "${policy}"; BullMQ needs "noeviction" or jobs can vanish`;
  } catch {
    // Managed Redis often forbids CONFIG; nothing to check then.
    return null;
  }
}
