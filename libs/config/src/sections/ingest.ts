import type { Env } from '../env';

export interface IngestConfig {
  host: string;
  port: number;
  apiKey?: string;
  s3EventsToken?: string;
  /** Topics whose signed messages `POST /v1/s3-events/sns` accepts; none: the route is off. */
  snsTopicArns: string[];
  quietPeriodMs: number;
  reconcileIntervalMs: number;
  /** How long a queued study may be without its job before it is queued again; also how often
   * each queued study's job is looked for. */
  requeueAfterMs: number;
  /** Back-pressure: past either, ingest answers 503 with Retry-After to new work. */
  maxQueuedImages: number;
  maxRedisMemoryFraction: number;
  /** How long a finished study's records (and an object's placement) stay in Redis. */
  retentionMs: number;
  /** Keys the study ids made from StudyInstanceUIDs; unset: a random key ingest keeps in Redis. */
  studyIdKey?: string;
}

export function ingestSection(e: Env): IngestConfig {
  return {
    host: e.INGEST_HOST,
    port: e.INGEST_PORT,
    apiKey: e.INGEST_API_KEY,
    s3EventsToken: e.S3_EVENTS_TOKEN,
    snsTopicArns: e.SNS_TOPIC_ARNS ?? [],
    quietPeriodMs: e.STUDY_QUIET_PERIOD_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    requeueAfterMs: e.STUDY_REQUEUE_AFTER_MS,
    studyIdKey: e.STUDY_ID_KEY,
    maxQueuedImages: e.INGEST_MAX_QUEUED_IMAGES,
    maxRedisMemoryFraction: e.INGEST_MAX_REDIS_MEMORY_FRACTION,
    retentionMs: e.STUDY_RETENTION_MS,
  };
}
