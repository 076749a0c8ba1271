import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueName, StudyWebhookEvent } from '@pneumoscreen/contracts';
import { S3ObjectStore } from '@pneumoscreen/storage';
import {
  S3RVER_CREDENTIALS,
  createNetnsLab,
  redisAnswers,
  relay,
  spawnApp,
  startNamespaceRelay,
  startS3Server,
  startWebhookReceiver,
  type NamespaceRelay,
  type NetnsLab,
  type S3Server,
  type SpawnedApp,
  type WebhookReceiver,
} from '@pneumoscreen/testing';
import { sampleXrays } from './support/samples';

const BUCKET = 'hospital-hosts';
const STUDIES = 6;
const IMAGES_PER_STUDY = 4;
const CONCURRENCY = 4;

/**
 * The deployment on several hosts: network namespaces the test makes (`ip netns`), a services
 * host holding Redis, s3rver and the way to the webhook receiver, two ingest hosts and two worker
 * hosts on one bridge, each with its own address. Redis and S3 listen only on the services
 * host's address, which the root namespace has no route to; the test itself reaches S3 and
 * ingest through Unix-socket relays. With studies queued and both workers holding images, one
 * worker host is lost (every process in it SIGKILLed, its link unplugged): the other takes its
 * images back once their locks lapse, and every study completes once.
 */
describe('ingest and workers on separate hosts, one worker host lost mid-run', () => {
  let lab: NetnsLab;
  let dir: string;
  let redisChild: ChildProcess | undefined;
  let s3: S3Server | undefined;
  let receiver: WebhookReceiver | undefined;
  let nsRelay: NamespaceRelay | undefined;
  const local: Server[] = [];
  const apps: SpawnedApp[] = [];
  let redis: Redis | undefined;
  let images: Queue | undefined;
  const prefix = `{hosts-e2e-${randomBytes(4).toString('hex')}}`;
  const secret = `whsec_${randomBytes(24).toString('base64')}`;

  before(async () => {
    lab = createNetnsLab(['ingest-1', 'ingest-2', 'worker-1', 'worker-2']);
    dir = await mkdtemp(join(tmpdir(), 'pneumoscreen-hosts-'));
    const svc = lab.services;
    // Redis on the services host's address, and on a Unix socket for the test's own reads; out of
    // protected mode, which would refuse every client not on loopback.
    redisChild = spawn(
      'ip',
      [
        'netns',
        'exec',
        svc.netns,
        'redis-server',
        '--bind',
        svc.address,
        '--port',
        '6379',
        '--unixsocket',
        join(dir, 'redis.sock'),
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    redis = new Redis({ path: join(dir, 'redis.sock'), maxRetriesPerRequest: null, retryStrategy: () => 100 });
    await redis.ping();
    images = new Queue(QueueName.image, { connection: { path: join(dir, 'redis.sock') }, prefix });
    s3 = await startS3Server({ host: svc.address, port: 8333, netns: svc.netns });
    receiver = await startWebhookReceiver({ secret });
    const sock = (name: string) => ({ path: join(dir, `${name}.sock`) });
    nsRelay = await startNamespaceRelay(svc.netns, [
      { from: sock('s3'), to: { host: svc.address, port: 8333 } },
      { from: sock('ingest-1'), to: { host: lab.hosts['ingest-1']!.address, port: 3000 } },
      { from: sock('ingest-2'), to: { host: lab.hosts['ingest-2']!.address, port: 3000 } },
      { from: { host: svc.address, port: 9000 }, to: sock('receiver') },
    ]);
    local.push(await relay({ from: sock('receiver'), to: { host: '127.0.0.1', port: Number(new URL(receiver.url).port) } }));
    for (const name of ['s3', 'ingest-1', 'ingest-2']) local.push(await relay({ from: { host: '127.0.0.1', port: 0 }, to: sock(name) }));
  });

  after(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    await images?.close();
    redis?.disconnect();
    for (const server of local) server.close();
    await nsRelay?.stop();
    await receiver?.close();
    await s3?.stop();
    redisChild?.kill('SIGKILL');
    lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('every study completes once, its webhook delivered once', { timeout: 240_000 }, async () => {
    const svc = lab.services;
    assert.equal(await redisAnswers(`redis://${svc.address}:6379`, 500), false, 'Redis is not reachable from outside the lab');
    const [, s3Port, ingest1Port, ingest2Port] = local.map((s) => (s as Server & { port?: number }).port);
    const store = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${s3Port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    await store.ensureBucket(BUCKET);

    const eventsToken = randomBytes(16).toString('hex');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: `redis://${svc.address}:6379`,
      REDIS_PREFIX: prefix,
      S3_ENDPOINT: `http://${svc.address}:8333`,
      S3_BUCKET: BUCKET,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      INGEST_HOST: '0.0.0.0',
      INGEST_PORT: '3000',
      INGEST_API_KEY: randomBytes(16).toString('hex'),
      S3_EVENTS_TOKEN: eventsToken,
      RECONCILE_INTERVAL_MS: '0',
      STUDY_QUIET_PERIOD_MS: '600000',
      WEBHOOK_URL: `http://${svc.address}:9000/webhook`,
      WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // tfjs-wasm keeps batches in the engine long enough for the lost host to die holding some;
      // heatmaps would only lengthen the run.
      ENGINE: 'tfjs-wasm',
      HEATMAPS: 'false',
      WORKER_MAX_BATCH: String(CONCURRENCY),
      WORKER_CONCURRENCY: String(CONCURRENCY),
    };
    const ingests = [1, 2].map((n) =>
      spawnApp(`ingest-${n}`, require.resolve('@pneumoscreen/ingest'), env, { netns: lab.hosts[`ingest-${n}`]!.netns }),
    );
    apps.push(...ingests);
    for (const ingest of ingests) await ingest.waitForLine(/listening on/, 60_000);

    // Announced as a store's events would be, spread over both ingest hosts.
    const xrays = await sampleXrays();
    const ingestPorts = [ingest1Port, ingest2Port];
    let sent = 0;
    const announce = async (key: string, body: Buffer | string) => {
      const { etag } = await store.putObject(BUCKET, key, body, 'application/octet-stream');
      const event = {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: BUCKET }, object: { key, eTag: etag, size: 1 } },
          },
        ],
      };
      const res = await fetch(`http://127.0.0.1:${ingestPorts[sent++ % 2]}/v1/s3-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${eventsToken}` },
        body: JSON.stringify(event),
      });
      assert.equal(res.status, 200, `ingest answered ${res.status} for ${key}`);
    };
    for (let s = 0; s < STUDIES; s++) {
      for (let i = 0; i < IMAGES_PER_STUDY; i++) await announce(`incoming/study-${s}/${i}.jpeg`, xrays[(s + i) % xrays.length]!);
      await announce(`incoming/study-${s}/manifest.json`, '{}');
    }
    assert.equal((await images!.getJobCounts('waiting')).waiting, STUDIES * IMAGES_PER_STUDY, 'every image queued before any worker runs');

    const workers = [1, 2].map((n) =>
      spawnApp(`worker-${n}`, require.resolve('@pneumoscreen/gpu-worker'), env, { netns: lab.hosts[`worker-${n}`]!.netns }),
    );
    apps.push(...workers);
    // More images in hand than one worker takes: both hold some.
    const deadline = Date.now() + 120_000;
    while ((await images!.getJobCounts('active')).active <= CONCURRENCY) {
      assert.ok(Date.now() < deadline, `both workers never held images: ${workers.map((w) => w.output.slice(-5).join('\n')).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    lab.killHost('worker-1');
    await new Promise<void>((resolve) =>
      workers[0]!.child.exitCode !== null || workers[0]!.child.signalCode !== null
        ? resolve()
        : workers[0]!.child.once('exit', () => resolve()),
    );
    assert.equal(workers[0]!.child.signalCode, 'SIGKILL');
    assert.ok(receiver!.requests.length < STUDIES, 'the host was lost with studies unfinished');

    await receiver!.waitFor((rs) => rs.length >= STUDIES, 150_000);
    // Late duplicates would come within a batch or two.
    await new Promise((r) => setTimeout(r, 2_000));

    const deliveries = receiver!.requests.map((r) => ({
      id: String(r.headers['webhook-id']),
      verified: r.verified,
      data: StudyWebhookEvent.parse(JSON.parse(r.body)).data,
    }));
    assert.ok(
      deliveries.every((d) => d.verified),
      'every delivery verifies',
    );
    assert.equal(new Set(deliveries.map((d) => d.id)).size, deliveries.length, 'each webhook-id arrived once');
    assert.deepEqual(
      deliveries.map((d) => d.data.studyId).sort(),
      Array.from({ length: STUDIES }, (_, s) => `study-${s}`),
      'one message per study',
    );
    for (const { data } of deliveries) {
      assert.equal(data.status, 'completed', data.studyId);
      assert.deepEqual(
        data.images.map((i) => i.key).sort(),
        Array.from({ length: IMAGES_PER_STUDY }, (_, i) => `incoming/${data.studyId}/${i}.jpeg`),
      );
      for (const i of data.images) assert.ok(i.probability !== undefined && !i.error, `${i.key} classified: ${i.error ?? ''}`);
    }
    const done = await images!.getJobs(['completed']);
    assert.equal(done.length, STUDIES * IMAGES_PER_STUDY, 'every image job completed');
    assert.ok(
      done.some((j) => j.stalledCounter > 0),
      'the lost host held images, which the other worker took back',
    );
    assert.equal((await images!.getJobCounts('failed')).failed, 0);
    assert.equal(workers[1]!.child.exitCode, null, 'the other worker kept running');
  });
});
