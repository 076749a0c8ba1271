import { randomBytes } from 'node:crypto';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { spawnApp, startS3Server, startWebhookReceiver, type S3Server, type SpawnedApp, type WebhookReceiver } from '@pneumoscreen/testing';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface E2eStackOptions {
  bucket: string;
  /** Redis key prefix: each spec gets its own so runs never see each other's jobs. */
  prefix: string;
  /** Settings on top of the common ones (events drive the tests; listing and quiet period off). */
  env?: NodeJS.ProcessEnv;
  extraBuckets?: string[];
  /** Runs after S3 and the receiver are up and before the apps start (e.g. to publish models). */
  beforeApps?: (stack: Pick<E2eStack, 'store' | 'env'>) => Promise<void>;
  /** A line ingest prints once it is ready beyond listening (e.g. its model pinning). */
  ingestReadyLine?: RegExp;
  /** Starts the worker instead of the checkout's built one (a bundle's, say). */
  startWorker?: (env: NodeJS.ProcessEnv) => SpawnedApp;
  /** Also start the trainer (feedback and training pools). */
  trainer?: boolean;
  /** The S3 server's folder, which then outlives it (the stack makes and removes its own
   * otherwise). */
  s3Directory?: string;
}

export interface E2eStack {
  s3: S3Server;
  store: S3ObjectStore;
  receiver: WebhookReceiver;
  ingest: SpawnedApp;
  worker: SpawnedApp;
  trainer?: SpawnedApp;
  ingestUrl: string;
  env: NodeJS.ProcessEnv;
  apiKey: string;
  put(key: string, body: Buffer | string): Promise<string>;
  /** POSTs what AWS S3 would send for one created object (key URL-encoded, spaces as `+`). */
  notify(key: string, etag: string): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Real services and every app as its own OS process from built output: s3rver on a free port,
 * Redis, a receiver that checks signatures with the reference Standard Webhooks library, ingest
 * and one worker.
 */
export async function startE2eStack(o: E2eStackOptions): Promise<E2eStack> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const eventsToken = randomBytes(16).toString('hex');
  const apiKey = randomBytes(16).toString('hex');
  const s3 = await startS3Server({ directory: o.s3Directory });
  const store = new S3ObjectStore(s3.clientOptions);
  for (const b of [o.bucket, ...(o.extraBuckets ?? [])]) await store.ensureBucket(b);
  const receiver = await startWebhookReceiver({ secret });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL,
    REDIS_PREFIX: o.prefix,
    ...s3.env,
    S3_BUCKET: o.bucket,
    INGEST_PORT: '0',
    INGEST_API_KEY: apiKey,
    S3_EVENTS_TOKEN: eventsToken,
    RECONCILE_INTERVAL_MS: '0',
    STUDY_QUIET_PERIOD_MS: '600000',
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: secret,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...o.env,
  };
  const stops: Array<() => Promise<unknown>> = [() => s3.stop(), () => receiver.close()];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    await o.beforeApps?.({ store, env });
    const ingest = spawnApp('ingest', require.resolve('@pneumoscreen/ingest'), env);
    stops.push(() => ingest.stop());
    const worker = o.startWorker ? o.startWorker(env) : spawnApp('gpu-worker', require.resolve('@pneumoscreen/gpu-worker'), env);
    stops.push(() => worker.stop());
    let trainer: SpawnedApp | undefined;
    if (o.trainer) {
      trainer = spawnApp('trainer', require.resolve('@pneumoscreen/trainer'), env);
      stops.push(() => trainer!.stop());
    }
    const ingestUrl = (await ingest.waitForLine(/listening on (http:\/\/\S+)/, 60_000))[1];
    if (o.ingestReadyLine) await ingest.waitForLine(o.ingestReadyLine, 60_000);
    await worker.waitForLine(/model .* ready/, 120_000);
    await trainer?.waitForLine(/trainer running pools/, 60_000);
    return {
      s3,
      store,
      receiver,
      ingest,
      worker,
      trainer,
      ingestUrl,
      env,
      apiKey,
      stop,
      async put(key, body) {
        return (await store.putObject(o.bucket, key, body, key.endsWith('.json') ? 'application/json' : 'application/octet-stream')).etag;
      },
      notify(key, etag) {
        const encoded = encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
        const event = {
          Records: [
            {
              eventVersion: '2.1',
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              s3: { bucket: { name: o.bucket }, object: { key: encoded, eTag: etag, size: 1 } },
            },
          ],
        };
        return fetch(`${ingestUrl}/v1/s3-events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${eventsToken}` },
          body: JSON.stringify(event),
        });
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
