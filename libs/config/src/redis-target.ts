/** Where Redis is: one server, or the seed nodes of a Redis Cluster (the client learns the rest). */
export interface RedisTarget {
  cluster: boolean;
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  /** Always 0 on a cluster, which has no SELECT. */
  db: number;
  tls: boolean;
}

const SCHEMES: Record<string, { cluster: boolean; tls: boolean }> = {
  'redis:': { cluster: false, tls: false },
  'rediss:': { cluster: false, tls: true },
  'redis-cluster:': { cluster: true, tls: false },
  'rediss-cluster:': { cluster: true, tls: true },
};

/**
 * Reads `redis://[user:password@]host:port[/db]` (`rediss://` for TLS) or
 * `redis-cluster://[user:password@]host1:port,host2:port` (`rediss-cluster://`). Errors never
 * repeat the URL: it may hold a password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([a-z-]+:)\/\//.exec(url)?.[1] ?? '';
  const kind = SCHEMES[scheme];
  if (!kind) throw new Error('must start with redis://, rediss://, redis-cluster:// or rediss-cluster://');
  const rest = url.slice(scheme.length + 2);
  const at = rest.lastIndexOf('@');
  const auth = at >= 0 ? rest.slice(0, at + 1) : '';
  const [hosts = '', path = ''] = rest.slice(at + 1).split(/\/(.*)/s);
  const hostList = hosts.split(',');
  if (!kind.cluster && hostList.length > 1) throw new Error('names several hosts: use redis-cluster:// for a cluster');
  if (kind.cluster && path !== '') throw new Error('a cluster has only database 0: leave the path out');
  if (!/^\d*$/.test(path)) throw new Error('the database (path) must be a number');
  let parsed: URL[];
  try {
    // WHATWG URL reads one authority; each host is read with the credentials in front of it.
    parsed = hostList.map((h) => new URL(`redis://${auth}${h}`));
  } catch {
    throw new Error('is not a valid URL');
  }
  if (parsed.some((u) => !u.hostname)) throw new Error('names no host');
  const first = parsed[0]!;
  return {
    cluster: kind.cluster,
    nodes: parsed.map((u) => ({ host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : 6379 })),
    username: first.username ? decodeURIComponent(first.username) : undefined,
    password: first.password ? decodeURIComponent(first.password) : undefined,
    db: path ? Number(path) : 0,
    tls: kind.tls,
  };
}

/** `REDIS_CLUSTER_NODES` (host:port,…) with the credentials and TLS of `REDIS_URL`, as one
 * cluster URL, so the rest of the system reads one setting. */
export function clusterUrl(redisUrl: string, nodes: string[]): string {
  const target = parseRedisUrl(redisUrl);
  const auth = /^[a-z-]+:\/\/([^/]*@)?/.exec(redisUrl)?.[1] ?? '';
  return `${target.tls ? 'rediss' : 'redis'}-cluster://${auth}${nodes.join(',')}`;
}

/**
 * Every key of one deployment carries the hash tag `{REDIS_PREFIX}`, so on a Redis Cluster they
 * all hash to one slot: BullMQ's flows move a study job and its image jobs (two queues) in one
 * script, and the study records' scripts touch a study and the deployment's indexes at once.
 * The cost: one deployment's state lives on one master (and its replicas). A prefix given with
 * its braces is kept as it is.
 */
export function hashTaggedPrefix(prefix: string): string {
  return /^\{[^{}]+\}$/.test(prefix) ? prefix : `{${prefix}}`;
}
