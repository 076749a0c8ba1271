/** What ioredis and Node say when Redis cannot be reached, as opposed to a command it refused. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const UNREACHABLE_MESSAGES = [
  /^Stream isn't writeable and enableOfflineQueue options is false/,
  /^Connection is closed\.?$/,
  /^Reached the max retries per request limit/,
  // A Cluster client gives up on a command after following a slot's moves (a failover) a while.
  /^Too many Cluster redirections/,
  /^Cluster isn't ready and enableOfflineQueue options is false/,
];

/**
 * Whether `err` says Redis could not be reached (down, restarting, failing over): the same
 * request may well succeed a few seconds later, so an HTTP caller should hear 503, not 500.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && UNREACHABLE_CODES.has(code)) return true;
  // A Redis out of memory (noeviction, as BullMQ needs), still loading its data, or a cluster
  // without a master for a slot refuses writes until it is not: for a caller that is the same as
  // away.
  if (err.name === 'ReplyError' && /^(OOM|LOADING|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN) /.test(err.message)) return true;
  return err.name === 'MaxRetriesPerRequestError' || UNREACHABLE_MESSAGES.some((m) => m.test(err.message));
}
