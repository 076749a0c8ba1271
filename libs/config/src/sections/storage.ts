import type { Env } from '../env';
import { invalid } from '../config-error';
import { clusterUrl, hashTaggedPrefix, parseRedisUrl } from '../redis-target';

export interface RedisConfig {
  /** May name a Redis Cluster (redis-cluster://…). */
  url: string;
  /** REDIS_PREFIX as a hash tag, `{pneumoscreen}`, so that all of a deployment's keys share one
   * cluster slot. */
  prefix: string;
}

export interface S3Config {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  bucket: string;
  incomingPrefix: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function redisSection(e: Env): RedisConfig {
  if (e.REDIS_CLUSTER_NODES && parseRedisUrl(e.REDIS_URL).cluster) {
    throw invalid(['REDIS_CLUSTER_NODES: REDIS_URL already names a cluster; set one or the other']);
  }
  return {
    url: e.REDIS_CLUSTER_NODES ? clusterUrl(e.REDIS_URL, e.REDIS_CLUSTER_NODES) : e.REDIS_URL,
    prefix: hashTaggedPrefix(e.REDIS_PREFIX),
  };
}

export function s3Section(e: Env): S3Config {
  if (e.AWS_ACCESS_KEY_ID && !e.AWS_SECRET_ACCESS_KEY) {
    throw invalid(['AWS_SECRET_ACCESS_KEY: required when AWS_ACCESS_KEY_ID is set']);
  }
  return {
    endpoint: e.S3_ENDPOINT,
    region: e.S3_REGION,
    // Self-hosted S3 stores (SeaweedFS, Garage, s3rver) want path-style addressing.
    forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
    bucket: e.S3_BUCKET,
    incomingPrefix: e.S3_INCOMING_PREFIX,
    credentials:
      e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY }
        : undefined,
  };
}
