import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { parseRedisUrl } from '@pneumoscreen/config';
import { clusterOptions, redisOptionsFromUrl } from './redis-url';

export type ConnectionRole = 'worker' | 'producer';

/** A client of one Redis server or of a Redis Cluster; both take the same commands. */
export type RedisClient = Redis | Cluster;

/** BullMQ's documented settings: workers must never give up on a command
 * (`maxRetriesPerRequest: null`), while producers and HTTP handlers should fail fast so a request
 * gets an error rather than hanging while Redis is down. */
function roleOptions(role: ConnectionRole): RedisOptions {
  return {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableOfflineQueue: role === 'worker',
    connectionName: `pneumoscreen-${role}`,
  };
}

/** The one place a connection is made: a `Redis` for `redis://`, a `Cluster` for
 * `redis-cluster://` (REDIS_URL or REDIS_CLUSTER_NODES). */
export function createRedisConnection(url: string, role: ConnectionRole, extra: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  const node = { ...roleOptions(role), ...extra };
  if (!target.cluster) return new Redis({ ...redisOptionsFromUrl(url), ...node });
  const { lazyConnect, enableOfflineQueue, retryStrategy } = node;
  return new Cluster(target.nodes, {
    ...clusterOptions(target, node),
    lazyConnect,
    enableOfflineQueue,
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
  });
}

/**
 * BullMQ's connection. For one server, options: each queue and worker opens (and closes) its own.
 * For a cluster, one Cluster client the process's queues share (BullMQ takes no cluster options,
 * only a client; its workers duplicate it for their blocking reads). BullMQ never closes a
 * client it was given; the apps end by re-raising the signal once Nest has closed them
 * (`enableShutdownHooks`), which ends this one too. The client queues commands while the
 * cluster fails over, with BullMQ's own retry limit for producers (20), as BullMQ sets up the
 * connections it makes itself.
 */
export function bullConnection(url: string, role: ConnectionRole): ConnectionOptions {
  if (!parseRedisUrl(url).cluster) return redisOptionsFromUrl(url);
  return createRedisConnection(url, role, {
    connectionName: `pneumoscreen-bullmq-${role}`,
    enableOfflineQueue: true,
    maxRetriesPerRequest: role === 'worker' ? null : 20,
  });
}

/** The name a connection was given, for log lines. */
function nameOf(redis: RedisClient): string | undefined {
  return redis instanceof Cluster ? redis.options.redisOptions?.connectionName : redis.options.connectionName;
}

/**
 * Logs one line when a long-lived connection loses Redis and one when it is back. Without an
 * error listener ioredis prints "Unhandled error event" for every failed reconnect, several a
 * second for as long as Redis is down.
 */
export function logOutages<R extends RedisClient>(redis: R, log: (line: string) => void): R {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log(`Redis connection ${nameOf(redis)} lost (${err.message}); reconnecting`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log(`Redis connection ${nameOf(redis)} is back`);
  });
  return redis;
}

/** BullMQ loses jobs silently when Redis evicts keys; say so at start-up instead. On a cluster
 * every master is asked: the deployment's slot may sit on any of them. */
export async function checkEvictionPolicy(redis: RedisClient): Promise<string | null> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  try {
    for (const server of servers) {
      const reply = (await server.config('GET', 'maxmemory-policy')) as string[];
      const policy = reply[1];
      if (policy !== 'noeviction') return `Redis maxmemory-policy is "${policy}"; BullMQ needs "noeviction" or jobs can vanish`;
    }
    return null;
  } catch {
    // Managed Redis often forbids CONFIG; nothing to check then.
    return null;
  }
}
