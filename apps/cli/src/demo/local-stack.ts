import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3RVER_CREDENTIALS, redisAnswers, redisServerOnPath, spawnApp, startPrivateRedis, startS3Server } from '@pneumoscreen/testing';

export interface LocalStackOptions {
  env: NodeJS.ProcessEnv;
  callbackUrl?: string;
  echo: boolean;
  say: (line: string) => void;
  /** Worker processes to start (default 1). */
  workers?: number;
  /** Ingest processes (default 1), as replicas behind a load balancer would run. */
  ingests?: number;
  /** Embedded S3 server processes over one store (default 1; ignored when S3_ENDPOINT names a
   * store). Processes take them in turn: the uploader the first, then each ingest and worker. */
  s3Servers?: number;
  /** Keeps the embedded store's files in RAM (/dev/shm) where the system has it. */
  s3InMemory?: boolean;
  /** Settings for this run that override the environment's. */
  overrides?: NodeJS.ProcessEnv;
}

export interface LocalStack {
  ingestUrl: string;
  /** Every ingest process; `ingestUrl` is the first. */
  ingestUrls: string[];
  s3EventsToken: string;
  apiKey: string;
  bucket: string;
  store: S3ObjectStore;
  /** Rejects, naming the app and giving its last lines, as soon as an app the stack started
   * exits before `stop`: whoever waits for results races it rather than wait for a dead worker. */
  crashed: Promise<never>;
  stop(): Promise<void>;
}

/**
 * Redis, an S3-protocol store, ingest and one worker on this machine: whatever the environment
 * names is used, and what it does not name is started here for the length of the run.
 */
export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const stops: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  let crash: (err: Error) => void = () => undefined;
  const crashed = new Promise<never>((_, reject) => (crash = reject));
  // Only a caller that races it hears of a crash; nobody else must see an unhandled rejection.
  crashed.catch(() => undefined);
  try {
    const redisUrl = await ensureRedis(o, stops);
    const s3 = await ensureS3(o, stops);
    const bucket = o.env.S3_BUCKET ?? 'pneumoscreen-demo';
    const store = new S3ObjectStore({
      endpoint: s3.endpoints[0]!,
      region: o.env.S3_REGION ?? 'us-east-1',
      forcePathStyle: true,
      credentials: s3.credentials,
    });
    await store.ensureBucket(bucket);
    const apiKey = randomBytes(24).toString('hex');
    const env: NodeJS.ProcessEnv = {
      ...o.env,
      REDIS_URL: redisUrl,
      // A fresh prefix per run: nothing left over from an earlier run can interfere.
      REDIS_PREFIX: `pneumoscreen-demo-${randomBytes(4).toString('hex')}`,
      S3_ENDPOINT: s3.endpoints[0],
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
    const apps = launch(env, { ingests: o.ingests ?? 1, workers: o.workers ?? 1 }, s3.endpoints, o.echo, stops);
    for (const app of [...apps.ingests, ...apps.workers]) {
      app.child.once('exit', (code, signal) => {
        if (!stopping)
          crash(
            new Error(
              `${app.name} stopped unexpectedly (${signal ?? `exit code ${code}`}); its last lines:\n${app.output.slice(-10).join('\n')}`,
            ),
          );
      });
    }
    const [ingestUrls] = await Promise.all([
      Promise.all(apps.ingests.map(async (i) => (await i.waitForLine(/listening on (http:\/\/\S+)/, 60_000))[1]!)),
      ...apps.workers.map((w) => w.waitForLine(/model .* ready/, 120_000)),
    ]);
    const ready = apps.workers[0]!.output.find((l) => / ready /.test(l))?.replace(/^.*model /, 'model ') ?? '';
    o.say(`ingest at ${ingestUrls.join(', ')}, ${apps.workers.length} worker(s) ready (${ready})`);
    return { ingestUrl: ingestUrls[0]!, ingestUrls, s3EventsToken: env.S3_EVENTS_TOKEN!, apiKey, bucket, store, crashed, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function ensureRedis(o: LocalStackOptions, stops: Array<() => Promise<unknown>>): Promise<string> {
  const url = o.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return url;
  if (!redisServerOnPath()) {
    throw new Error(
      `nothing answers at ${url} and redis-server is not on the PATH: install Redis (e.g. apt-get install redis-server, or docker compose up redis) or set REDIS_URL`,
    );
  }
  const redis = await startPrivateRedis();
  stops.push(() => redis.stop());
  o.say(`no Redis at ${url}; started a private redis-server at ${redis.url} for this run`);
  return redis.url;
}

async function ensureS3(o: LocalStackOptions, stops: Array<() => Promise<unknown>>) {
  if (o.env.S3_ENDPOINT) {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = o.env;
    return { endpoints: [o.env.S3_ENDPOINT], credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined };
  }
  // On a VM's disk, s3rver's several file operations per request cost it a fifth of its CPU.
  const shared = o.s3InMemory && existsSync('/dev/shm') ? await mkdtemp('/dev/shm/pneumoscreen-s3-') : undefined;
  if (shared) stops.push(() => rm(shared, { recursive: true, force: true }));
  const first = await startS3Server(shared ? { directory: shared } : {});
  stops.push(() => first.stop());
  const servers = [first];
  for (let i = 1; i < (o.s3Servers ?? 1); i++) {
    const more = await startS3Server({ directory: first.directory });
    stops.push(() => more.stop());
    servers.push(more);
  }
  o.say(
    `started ${servers.length} embedded S3-protocol server(s) (s3rver) at ${servers.map((s) => s.endpoint).join(', ')}, data in ${first.directory}`,
  );
  return { endpoints: servers.map((s) => s.endpoint), credentials: S3RVER_CREDENTIALS };
}

function launch(
  env: NodeJS.ProcessEnv,
  counts: { ingests: number; workers: number },
  s3Endpoints: string[],
  echo: boolean,
  stops: Array<() => Promise<unknown>>,
) {
  let next = 0;
  const start = (name: string, entry: string) => {
    const app = spawnApp(name, require.resolve(entry), { ...env, S3_ENDPOINT: s3Endpoints[++next % s3Endpoints.length] }, { echo });
    stops.push(() => app.stop());
    return app;
  };
  const ingests = Array.from({ length: counts.ingests }, (_, i) =>
    start(counts.ingests > 1 ? `ingest-${i + 1}` : 'ingest', '@pneumoscreen/ingest'),
  );
  const workers = Array.from({ length: counts.workers }, (_, i) => start(`gpu-worker-${i + 1}`, '@pneumoscreen/gpu-worker'));
  return { ingests, workers };
}
