import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3RVER_CREDENTIALS, spawnApp, type SpawnedApp } from '@pneumoscreen/testing';
import { RestartableReceiver, RestartableRedis, RestartableS3 } from './services';

export const BUCKET = 'reliability';
export const TENANT_IDS = ['a', 'b'] as const;
export type TenantId = (typeof TENANT_IDS)[number];

export interface TenantKeys {
  secret: string;
  apiKey: string;
  /** Where its folders live: `incoming/<tenant>-<name>/`. */
  folderPrefix: string;
  /** The receiver's path its configured endpoint posts to. */
  path: string;
}

/**
 * Redis (its own, restartable), s3rver (restartable on its folder), a receiver for two tenants'
 * endpoints, and ingest and a worker as processes, each replaceable: the suite's faults stop and
 * restart them while studies flow. Two tenants share one bucket under their own prefixes, so
 * cross-tenant attempts and misrouted results can be tried and counted.
 */
export class ReliabilityStack {
  ingest!: SpawnedApp;
  worker!: SpawnedApp;
  ingestUrl!: string;
  readonly store: S3ObjectStore;
  private generation = 0;

  private constructor(
    readonly redis: RestartableRedis,
    readonly s3: RestartableS3,
    readonly receiver: RestartableReceiver,
    readonly tenants: Record<TenantId, TenantKeys>,
    readonly env: NodeJS.ProcessEnv,
    readonly eventsToken: string,
    private readonly dirs: string[],
    readonly echo: boolean,
  ) {
    this.store = new S3ObjectStore({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  }

  static async start(o: { prefix: string; env?: NodeJS.ProcessEnv; echo?: boolean }): Promise<ReliabilityStack> {
    const redisDir = await mkdtemp(join(tmpdir(), 'reliability-redis-'));
    const s3Dir = await mkdtemp(join(tmpdir(), 'reliability-s3-'));
    const tenants = Object.fromEntries(
      TENANT_IDS.map((id) => [
        id,
        {
          secret: `whsec_${randomBytes(24).toString('base64')}`,
          apiKey: randomBytes(24).toString('hex'),
          folderPrefix: `incoming/${id}-`,
          path: `/hooks/${id}`,
        },
      ]),
    ) as Record<TenantId, TenantKeys>;
    const eventsToken = randomBytes(16).toString('hex');
    const redis = await RestartableRedis.start(redisDir);
    const s3 = await RestartableS3.start(s3Dir);
    const receiver = await RestartableReceiver.start({ secrets: TENANT_IDS.map((t) => tenants[t].secret) });
    const tenantsJson = TENANT_IDS.map((id) => ({
      id,
      locations: [{ bucket: BUCKET, prefix: tenants[id].folderPrefix }],
      endpoints: [{ url: `${receiver.url}${tenants[id].path}`, secrets: [tenants[id].secret] }],
      callbackHosts: [`ris.hospital-${id}.test`],
      callbackSecrets: [tenants[id].secret],
      apiKeys: [
        {
          id: `ris-${id}`,
          sha256: createHash('sha256').update(tenants[id].apiKey).digest('hex'),
          scopes: ['submit', 'status', 'feedback'],
        },
      ],
    }));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: redis.url,
      REDIS_PREFIX: o.prefix,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: BUCKET,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      INGEST_PORT: '0',
      S3_EVENTS_TOKEN: eventsToken,
      TENANTS: JSON.stringify(tenantsJson),
      STUDY_ID_KEY: randomBytes(32).toString('hex'),
      // The listing finds what a lost event or a Redis crash's lost second dropped; the quiet
      // period readies a study whose manifest record was lost.
      RECONCILE_INTERVAL_MS: '3000',
      STUDY_QUIET_PERIOD_MS: '15000',
      STUDY_REQUEUE_AFTER_MS: '2000',
      // A retry window short enough for a receiver to stay down through all of it.
      WEBHOOK_RETRY_SCHEDULE: '0,500ms,1s,2s',
      WEBHOOK_MAX_ATTEMPTS: '4',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      MAX_IMAGE_BYTES: String(8 * 1024 * 1024),
      WORKER_MAX_BATCH: '8',
      ...o.env,
    };
    const stack = new ReliabilityStack(redis, s3, receiver, tenants, env, eventsToken, [redisDir, s3Dir], o.echo ?? false);
    await stack.store.ensureBucket(BUCKET);
    await stack.startIngest();
    await stack.startWorker();
    return stack;
  }

  async startIngest(): Promise<void> {
    this.ingest = spawnApp(`ingest-${++this.generation}`, require.resolve('@pneumoscreen/ingest'), this.env, { echo: this.echo });
    this.ingestUrl = (await this.ingest.waitForLine(/listening on (http:\/\/\S+)/, 60_000))[1]!;
  }

  async startWorker(): Promise<void> {
    this.worker = spawnApp(`worker-${++this.generation}`, require.resolve('@pneumoscreen/gpu-worker'), this.env, { echo: this.echo });
    await this.worker.waitForLine(/model .* ready/, 120_000);
  }

  /** A connection of the harness's own to the stack's Redis (the caller quits it). */
  connect(): Redis {
    return new Redis(this.redis.url, { maxRetriesPerRequest: null });
  }

  async put(key: string, body: Buffer | string): Promise<string> {
    return (await this.store.putObject(BUCKET, key, body, key.endsWith('.json') ? 'application/json' : 'application/octet-stream')).etag;
  }

  /** POSTs a raw body to the S3 events route, with the events token unless told otherwise. */
  postEvent(body: string, o: { token?: string | null; contentType?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
    const token = o.token === undefined ? this.eventsToken : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return fetch(`${this.ingestUrl}/v1/s3-events`, { method: 'POST', headers, body });
  }

  /** POSTs a body the server may refuse before reading it (413) on a connection of its own, so
   * the refusal's reset cannot fall on a pooled connection another request is about to reuse. */
  postEventAlone(body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.ingestUrl}/v1/s3-events`,
        { method: 'POST', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${this.eventsToken}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      // The server may answer and close before the whole body is sent: that is its answer.
      req.on('error', reject);
      req.end(body);
    });
  }

  /** What AWS S3 sends for one created object (key URL-encoded, spaces as `+`). */
  eventFor(key: string, etag: string, size = 1, bucket = BUCKET): string {
    const encoded = encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
    return JSON.stringify({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: bucket }, object: { key: encoded, eTag: etag, size } },
        },
      ],
    });
  }

  api(tenant: TenantId, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.ingestUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.tenants[tenant].apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async stop(): Promise<void> {
    for (const s of [
      () => this.worker?.stop(),
      () => this.ingest?.stop(),
      () => this.receiver.stop(),
      () => this.s3.stop(),
      () => this.redis.stop('SIGTERM'),
    ]) {
      await s().catch(() => undefined);
    }
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }
}
