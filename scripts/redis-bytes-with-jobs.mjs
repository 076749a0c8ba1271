// Redis bytes per image with BullMQ's jobs, from the real apps: on a private redis-server (so
// nothing else's keys are counted), s3rver and a webhook receiver, ingest records STUDIES studies
// of 4 sample X-rays announced by S3 events; with no worker running, every key is summed (MEMORY
// USAGE) while the studies are queued. Then a worker (default engine, all pools) classifies,
// finalises and delivers them, and the keys are summed again once every webhook job is done:
// what the job options' removeOnComplete keeps (image jobs a day, study jobs 7 days, webhook jobs
// 30 days) until it ages out. Each queue's events stream is capped by BullMQ (about 10,000
// entries) whatever the load, so it is reported apart and not per image.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { QueueName } from '../libs/contracts/dist/index.js';
import { S3ObjectStore } from '../libs/storage/dist/index.js';
import {
  repoRoot,
  S3RVER_CREDENTIALS,
  spawnApp,
  startPrivateRedis,
  startS3Server,
  startWebhookReceiver,
} from '../libs/testing/dist/index.js';

const STUDIES = Number(process.env.STUDIES ?? 200);
const IMAGES = 4;
const PREFIX = '{pneumoscreen}';
const BUCKET = 'hospital-bucket';
const require = createRequire(import.meta.url);

const redisServer = await startPrivateRedis();
const s3 = await startS3Server();
const secret = `whsec_${randomBytes(24).toString('base64')}`;
const receiver = await startWebhookReceiver({ secret });
const redis = new Redis(redisServer.url);
const apps = [];
try {
  const store = new S3ObjectStore({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  await store.ensureBucket(BUCKET);
  const eventsToken = randomBytes(16).toString('hex');
  const env = {
    ...process.env,
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: PREFIX,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: BUCKET,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    INGEST_PORT: '0',
    INGEST_API_KEY: randomBytes(16).toString('hex'),
    S3_EVENTS_TOKEN: eventsToken,
    RECONCILE_INTERVAL_MS: '0',
    STUDY_QUIET_PERIOD_MS: '600000',
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: secret,
    WEBHOOK_ALLOW_PRIVATE: 'true',
  };
  const ingest = spawnApp('ingest', require.resolve('../apps/ingest/dist/main.js'), env);
  apps.push(ingest);
  const ingestUrl = (await ingest.waitForLine(/listening on (http:\/\/\S+)/, 60_000))[1];

  const dir = join(repoRoot(), 'samples/studies');
  const xrays = await Promise.all((await readdir(dir)).map(async (s) => readFile(join(dir, s, (await readdir(join(dir, s)))[0]))));
  const announce = async (key, body) => {
    const { etag } = await store.putObject(BUCKET, key, body, 'application/octet-stream');
    const event = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: BUCKET }, object: { key, eTag: etag, size: body.length } },
        },
      ],
    };
    const res = await fetch(`${ingestUrl}/v1/s3-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${eventsToken}` },
      body: JSON.stringify(event),
    });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status} for ${key}`);
  };
  for (let s = 0; s < STUDIES; s++) {
    const id = `study-${String(s).padStart(5, '0')}`;
    for (let i = 0; i < IMAGES; i++) await announce(`incoming/${id}/image-${i}.jpeg`, xrays[(s + i) % xrays.length]);
    await announce(`incoming/${id}/manifest.json`, Buffer.from('{}'));
  }
  const waitingChildren = `${PREFIX}:${QueueName.study}:waiting-children`;
  while ((await redis.zcard(waitingChildren)) < STUDIES) await new Promise((r) => setTimeout(r, 100));
  const queued = await measure();

  apps.push(spawnApp('gpu-worker', require.resolve('../apps/gpu-worker/dist/main.js'), env));
  await receiver.waitFor((rs) => rs.length >= STUDIES, 600_000);
  const webhooksDone = `${PREFIX}:${QueueName.webhook}:completed`;
  while ((await redis.zcard(webhooksDone)) < STUDIES) await new Promise((r) => setTimeout(r, 100));
  const done = await measure();

  const images = STUDIES * IMAGES;
  const perImage = (m, part) => Math.round(m[part] / images);
  console.log(
    JSON.stringify({
      redis: (await redis.info('server')).match(/redis_version:(\S+)/)[1],
      studies: STUDIES,
      imagesPerStudy: IMAGES,
      queued: {
        bytesPerImage: perImage(queued, 'total'),
        recordsPerImage: perImage(queued, 'records'),
        jobsPerImage: perImage(queued, 'jobs'),
        eventStreams: queued.events,
      },
      completed: {
        bytesPerImage: perImage(done, 'total'),
        recordsPerImage: perImage(done, 'records'),
        imageJobsPerImage: perImage(done, QueueName.image),
        studyJobsPerImage: perImage(done, QueueName.study),
        webhookJobsPerImage: perImage(done, QueueName.webhook),
        eventStreams: done.events,
      },
    }),
  );
} finally {
  for (const app of apps.reverse()) await app.stop();
  redis.disconnect();
  await receiver.close();
  await s3.stop();
  await redisServer.stop();
}

/** Every key's MEMORY USAGE, summed by what it belongs to: ingest's and the finaliser's records,
 * each queue's jobs, the queues' events streams. */
async function measure() {
  const sums = { total: 0, records: 0, jobs: 0, events: 0, [QueueName.image]: 0, [QueueName.study]: 0, [QueueName.webhook]: 0 };
  for (const key of await redis.keys('*')) {
    const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    const queue = Object.values(QueueName).find((q) => key.startsWith(`${PREFIX}:${q}:`));
    if (queue && key.endsWith(':events')) sums.events += bytes;
    else {
      sums.total += bytes;
      if (queue) {
        sums.jobs += bytes;
        sums[queue] = (sums[queue] ?? 0) + bytes;
      } else sums.records += bytes;
    }
  }
  return sums;
}
