import type { ClusterOptions, RedisOptions } from 'ioredis';
import { parseRedisUrl, type RedisTarget } from '@pneumoscreen/config';

/** The options of one server's client; BullMQ takes these, not URLs. `rediss://` turns TLS on. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const target = parseRedisUrl(url);
  if (target.cluster) throw new Error('REDIS_URL names a cluster: connect with createRedisConnection');
  return { ...serverOptions(target), host: target.nodes[0]!.host, port: target.nodes[0]!.port, db: target.db };
}

/** What every server of the target shares: credentials and TLS. */
export function serverOptions(target: RedisTarget): RedisOptions {
  return { username: target.username, password: target.password, tls: target.tls ? {} : undefined };
}

/** Cluster options around per-node options. With TLS each node is reached by the name it
 * announces, not a looked-up address: certificates (ElastiCache's among them) name the host. */
export function clusterOptions(target: RedisTarget, node: RedisOptions): ClusterOptions {
  return {
    redisOptions: { ...serverOptions(target), ...node },
    ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
  };
}
