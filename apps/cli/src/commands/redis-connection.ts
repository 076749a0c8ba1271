import type { RedisClient } from '@pneumoscreen/queue';
import { createRedisConnection } from '@pneumoscreen/queue';

/** A producer connection for a one-shot command: it fails at once, naming the host, when Redis is
 * not there, instead of retrying forever. */
export async function connectRedis(url: string): Promise<RedisClient> {
  const connection = createRedisConnection(url, 'producer', { lazyConnect: true, retryStrategy: () => null });
  // ioredis rejects connect() with a bare "Connection is closed"; the cause arrives as an event.
  let cause: Error | undefined;
  connection.on('error', (e: Error) => (cause ??= e));
  try {
    await connection.connect();
  } catch (e) {
    // The URL may carry a password: name the host only.
    const { hostname, port } = new URL(url);
    throw new Error(`cannot reach Redis at ${hostname}:${port || 6379}: ${(cause ?? (e as Error)).message}`);
  }
  return connection;
}
