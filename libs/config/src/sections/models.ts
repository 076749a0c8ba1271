import { resolve } from 'node:path';
import type { Env } from '../env';
import { invalid } from '../config-error';
import type { ModelRegistryLocation } from '../model-registry';
import { repoPath } from '../repo-paths';
import type { S3Config } from './storage';

export interface ModelsConfig {
  /** Unset: workers load `worker.modelDir` as it is. */
  registry?: ModelRegistryLocation;
  /** How an S3 registry is reached: `s3` with the registry's own credentials when
   * MODEL_REGISTRY_ACCESS_KEY_ID is set, so that the identity that uploads studies (and can
   * write the watched bucket) cannot replace models, and workers can hold a read-only one. */
  registryS3: S3Config;
  name: string;
  /** The channel a worker serves. */
  channel: string;
  /** Where workers keep verified copies of the versions they load: MODEL_CACHE_DIR, else
   * `<repo>/.cache/models`. */
  cacheDir: string;
  /** How often workers and ingest re-read the channels, in case a pub/sub notice was lost; 0:
   * never. */
  channelPollMs: number;
}

export function modelsSection(e: Env, s3: S3Config): ModelsConfig {
  if (!e.MODEL_REGISTRY_ACCESS_KEY_ID !== !e.MODEL_REGISTRY_SECRET_ACCESS_KEY) {
    const missing = e.MODEL_REGISTRY_ACCESS_KEY_ID ? 'MODEL_REGISTRY_SECRET_ACCESS_KEY' : 'MODEL_REGISTRY_ACCESS_KEY_ID';
    throw invalid([`${missing}: the registry's access key and secret go together`]);
  }
  const registryCredentials =
    e.MODEL_REGISTRY_ACCESS_KEY_ID && e.MODEL_REGISTRY_SECRET_ACCESS_KEY
      ? { accessKeyId: e.MODEL_REGISTRY_ACCESS_KEY_ID, secretAccessKey: e.MODEL_REGISTRY_SECRET_ACCESS_KEY }
      : s3.credentials;
  return {
    registry: e.MODEL_REGISTRY,
    registryS3: { ...s3, credentials: registryCredentials },
    name: e.MODEL_NAME,
    channel: e.MODEL_CHANNEL,
    cacheDir: resolve(e.MODEL_CACHE_DIR ?? repoPath('.cache/models')),
    channelPollMs: e.MODEL_CHANNEL_POLL_MS,
  };
}
