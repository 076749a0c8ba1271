import { randomBytes } from 'node:crypto';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3RVER_CREDENTIALS, redisAnswers, redisServerOnPath, spawnApp, startPrivateRedis, startS3Server, type SpawnedApp } from '@pneumoscreen/testing';

export interface LocalStackOptions {
  env: NodeJS.ProcessEnv;
  callbackUrl?: string;
  echo: boolean;
  say: (line: string) => void;
  /** Worker processes to start (default 1). */
  workers?: number;
  /** Settings for this run that override the environment's. */
  overrides?: NodeJS.ProcessEnv;
}

export interface LocalStack {
  ingestUrl: string;
  s3EventsToken: string;
  apiKey: string;
  bucket: string;
  store: S3ObjectStore;
  stop(): Promise<void>;
}

/**
 * Redis, an S3-protocol store, ingest and one worker on this machine: whatever the environment
 * names is used, and what it does not name is started here for the length of the run.
 */
export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const redisUrl = await ensureRedis(o, stops);
    const s3 = await ensureS3(o, stops);
    const bucket = o.env.S3_BUCKET ?? 'pneumoscreen-demo';
    const store = new S3ObjectStore({ endpoint: s3.endpoint, region: o.env.S3_REGION ?? 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
    await store.ensureBucket(bucket);
    const apiKey = randomBytes(24).toString('hex');
    const env: NodeJS.ProcessEnv = {
      ...o.env,
      REDIS_URL: redisUrl,
      // A fresh prefix per run: nothing left over from an earlier run can interfere.
      REDIS_PREFIX: `pneumoscreen-demo-${randomBytes(4).toString('hex')}`,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      AWS_ACCESS_KEY_ID: s3.credentials?.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials?.secretAccessKey,
      INGEST_PORT: '0',
      INGEST_API_KEY: apiKey,
      S3_EVENTS_TOKEN: randomBytes(24).toString('hex'),
      // The bundled store sends no event notifications: listing finds the uploads.
      RECONCILE_INTERVAL_MS: o.env.RECONCILE_INTERVAL_MS ?? '500',
      STUDY_QUIET_PERIOD_MS: o.env.STUDY_QUIET_PERIOD_MS ?? '2000',
      WEBHOOK_URL: o.callbackUrl ?? o.env.WEBHOOK_URL,
      WEBHOOK_ALLOW_PRIVATE: o.env.WEBHOOK_ALLOW_PRIVATE ?? 'true',
      ...o.overrides,
    };
    const apps = launch(env, o.workers ?? 1, o.echo, stops);
    const [listening] = await Promise.all([
      apps.ingest.waitForLine(/listening on (http:\/\/\S+)/, 60_000),
      ...apps.workers.map((w) => w.waitForLine(/model .* ready/, 120_000)),
    ]);
    const ready = apps.workers[0].output.find((l) => / ready /.test(l))?.replace(/^.*model /, 'model ') ?? '';
    o.say(`ingest at ${listening[1]}, ${apps.workers.length} worker(s) ready (${ready})`);
    return { ingestUrl: listening[1], s3EventsToken: env.S3_EVENTS_TOKEN!, apiKey, bucket, store, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function ensureRedis(o: LocalStackOptions, stops: Array<() => Promise<unknown>>): Promise<string> {
  const url = o.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return url;
  if (!redisServerOnPath()) {
    throw new Error(`nothing answers at ${url} and redis-server is not on the PATH: install Redis (e.g. apt-get install redis-server, or docker compose up redis) or set REDIS_URL`);
  }
  const redis = await startPrivateRedis();
  stops.push(() => redis.stop());
  o.say(`no Redis at ${url}; started a private redis-server at ${redis.url} for this run`);
  return redis.url;
}

async function ensureS3(o: LocalStackOptions, stops: Array<() => Promise<unknown>>) {
  if (o.env.S3_ENDPOINT) {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = o.env;
    return { endpoint: o.env.S3_ENDPOINT, credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined };
  }
  const server = await startS3Server();
  stops.push(() => server.stop());
  o.say(`started an embedded S3-protocol server (s3rver) at ${server.endpoint}, data in ${server.directory}`);
  return { endpoint: server.endpoint, credentials: S3RVER_CREDENTIALS };
}

function launch(env: NodeJS.ProcessEnv, workers: number, echo: boolean, stops: Array<() => Promise<unknown>>) {
  const ingest = spawnApp('ingest', require.resolve('@pneumoscreen/ingest'), env, { echo });
  stops.push(() => ingest.stop());
  const started: SpawnedApp[] = [];
  for (let i = 0; i < workers; i++) {
    const worker = spawnApp(`gpu-worker-${i + 1}`, require.resolve('@pneumoscreen/gpu-worker'), env, { echo });
    stops.push(() => worker.stop());
    started.push(worker);
  }
  return { ingest, workers: started };
}
