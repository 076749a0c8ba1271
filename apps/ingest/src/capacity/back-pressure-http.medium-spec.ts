import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { QueueName } from '@pneumoscreen/contracts';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import { startS3Server, type S3Server } from '@pneumoscreen/testing';
import { TEST_S3_EVENTS_TOKEN as TOKEN, ingestHttpConfig, listenIngest, type IngestHttp } from '../ingest-http.test-harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'an-ingest-api-key-0000001';
const prefix = `{psbackpressure-${randomUUID()}}`;

let s3: S3Server;
let ingest: IngestHttp;
let images: Queue;
before(async () => {
  s3 = await startS3Server({ buckets: ['scans'] });
  ingest = await listenIngest(ingestHttpConfig(s3, prefix, 'scans', { INGEST_API_KEY: API_KEY, INGEST_MAX_QUEUED_IMAGES: '2' }));
  images = new Queue(QueueName.image, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
});
after(async () => {
  await images?.obliterate({ force: true });
  await images?.close();
  await ingest?.close();
  await s3?.stop();
});

const event = JSON.stringify({
  Records: [
    {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'scans' }, object: { key: 'incoming/s1/0.jpeg', eTag: 'e', size: 1 } },
    },
  ],
});
const post = (path: string, token: string, body: string) =>
  fetch(`${ingest.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });

/** Over its limit, ingest says so over HTTP as S3 event senders and API clients understand it:
 * 503 with Retry-After and the limit named, never a 500 or work accepted that it cannot hold. */
test('past INGEST_MAX_QUEUED_IMAGES, events and submissions get 503 with Retry-After, and are taken again below it', async () => {
  assert.equal((await post('/v1/s3-events', TOKEN, event)).status, 200);
  await images.addBulk([1, 2].map((i) => ({ name: 'classify-image', data: { i }, opts: { delay: 600_000 } })));
  // The queue is measured at most once a second.
  await new Promise((r) => setTimeout(r, 1_100));
  for (const [path, token, body] of [
    ['/v1/s3-events', TOKEN, event],
    ['/v1/studies', API_KEY, JSON.stringify({ keys: ['incoming/s1/0.jpeg'] })],
  ] as const) {
    const res = await post(path, token, body);
    assert.equal(res.status, 503, path);
    assert.equal(res.headers.get('retry-after'), '30', path);
    assert.match(await res.text(), /2 images are waiting to be classified \(INGEST_MAX_QUEUED_IMAGES=2\)/, path);
  }
  await images.obliterate({ force: true });
  await new Promise((r) => setTimeout(r, 1_100));
  assert.equal((await post('/v1/s3-events', TOKEN, event)).status, 200);
});
