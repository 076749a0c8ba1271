import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@pneumoscreen/queue';
import type { AppConfig } from '@pneumoscreen/config';

/**
 * The key of study ids made from StudyInstanceUIDs: STUDY_ID_KEY where it is set (it must then be
 * the same on every replica, and kept as long as the studies are), else a random one made once
 * and kept in Redis, so every replica uses the same and a deployment works with no setting. Such a
 * key is as safe as Redis, which holds the studies anyway; a new one (a wiped Redis) only means
 * that files of a study sent before and after it land in two studies.
 */
export async function loadStudyIdKey(config: AppConfig, redis: RedisClient): Promise<string> {
  if (config.ingest.studyIdKey) return config.ingest.studyIdKey;
  const key = `${config.redis.prefix}:study-id-key`;
  // Ingest's connection has no offline queue (so requests get a 503 while Redis is gone): a
  // command sent before it is connected fails instead of waiting, so wait for it here.
  if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  const stored = await redis.get(key);
  if (!stored) throw new Error('the study id key could not be kept in Redis');
  return stored;
}

/** The key, read on first use (ingest starts, and answers 503, while Redis is away) and kept. */
export function studyIdKeyLoader(config: AppConfig, redis: RedisClient): () => Promise<string> {
  let key: Promise<string> | undefined;
  return () => {
    key ??= loadStudyIdKey(config, redis).catch((e: unknown) => {
      key = undefined;
      throw e;
    });
    return key;
  };
}
