import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@pneumoscreen/config';
import { ModelRegistry } from '@pneumoscreen/registry';
import { FatalSignal, createRedisConnection, publishChannelNotice } from '@pneumoscreen/queue';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3Server, copyRelease, repoRoot, startS3Server } from '@pneumoscreen/testing';
import { Registry } from 'prom-client';
import { PrometheusImageMetrics } from '../metrics/image-metrics';
import { ClassifyImageUseCase } from './classify-image.use-case';
import { ModelRuntime } from './model-runtime';

const bucket = 'worker-models';
const name = 'pneumoscreen-pneumonia';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let server: S3Server;
let store: S3ObjectStore;
let registry: ModelRegistry;
type Release = Awaited<ReturnType<typeof copyRelease>>;
let a: Release;
let b: Release;
let c: Release;
/** The worker scores only the object version a job names, so jobs carry each upload's ETag. */
const etags: string[] = [];

before(async () => {
  server = await startS3Server({ buckets: [bucket] });
  store = new S3ObjectStore(server.clientOptions);
  registry = new ModelRegistry({ store, bucket, prefix: 'models/', name });
  a = await copyRelease();
  // Same weights, and a threshold every image passes: the decision on a normal image shows whose
  // threshold was used.
  b = await copyRelease({ version: `${a.version}-b`, threshold: 0 });
  c = await copyRelease({ version: `${a.version}-c` });
  for (const v of [a, b, c]) await registry.publish(v.dir);
  const normal = await readFile(path.join(repoRoot(), 'samples/studies/demo-normal-a/IM-0117-0001.jpeg'));
  for (let i = 0; i < 3; i++) etags.push((await store.putObject(bucket, `incoming/s/${i}.jpeg`, normal, 'image/jpeg')).etag);
});
after(async () => {
  store?.destroy();
  await server?.stop();
});

async function runtimeFor(env: Record<string, string>) {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'worker-cache-'));
  const config = loadConfig({
    S3_ENDPOINT: server.endpoint,
    REDIS_URL,
    REDIS_PREFIX: `psruntime-${randomBytes(4).toString('hex')}`,
    MODEL_REGISTRY: `s3://${bucket}/models`,
    MODEL_CACHE_DIR: cacheDir,
    // Proves the registry, not the folder, is what the worker loads.
    MODEL_DIR: path.join(cacheDir, 'no-such-folder'),
    ...env,
  });
  const runtime = new ModelRuntime(config, store, new FatalSignal());
  runtime.onModuleInit();
  const metrics = new Registry();
  return {
    runtime,
    config,
    cacheDir,
    metrics,
    classify: new ClassifyImageUseCase(config, store, runtime, new PrometheusImageMetrics(metrics)),
  };
}

test('with MODEL_REGISTRY the worker serves the version its channel points at, from a verified cache', async () => {
  await registry.setChannel('canary', a.version);
  const { runtime, cacheDir, classify, metrics } = await runtimeFor({ MODEL_CHANNEL: 'canary' });
  try {
    const result = await classify.execute({ studyId: 's', bucket, key: 'incoming/s/0.jpeg', etag: etags[0]! });
    assert.equal(result.modelVersion, a.version);
    const scraped = await metrics.metrics();
    assert.match(
      scraped,
      new RegExp(
        `^pneumoscreen_images_classified_total\\{engine="${result.engine}",model_version="${a.version}",decision="${result.decision}"\\} 1$`,
        'm',
      ),
    );
    assert.match(scraped, new RegExp(`^pneumoscreen_image_batch_size_count\\{engine="${result.engine}"\\} 1$`, 'm'));
    assert.ok(result.probability! >= 0 && result.probability! <= 1, `probability ${result.probability}`);
    assert.equal(runtime.servedVersion, a.version);
    assert.deepEqual(await readdir(path.join(cacheDir, name)), [a.version]);
  } finally {
    await runtime.beforeApplicationShutdown();
  }
});

test('a worker holds two versions, classifies pinned images with each in batches of one version, and keeps at most two', async () => {
  await registry.setChannel('production', a.version);
  const { runtime, classify } = await runtimeFor({ WORKER_MAX_BATCH: '8', WORKER_MAX_WAIT_MS: '300', MODEL_CHANNEL_POLL_MS: '0' });
  try {
    const job = (i: number, modelVersion?: string) => ({
      studyId: 's',
      bucket,
      key: `incoming/s/${i}.jpeg`,
      etag: etags[i]!,
      modelVersion,
    });
    const results = await Promise.all([0, 1, 2].flatMap((i) => [classify.execute(job(i, b.version)), classify.execute(job(i))]));
    const [ofB, ofA] = [results.filter((_, i) => i % 2 === 0), results.filter((_, i) => i % 2 === 1)];
    for (const r of ofA) assert.deepEqual([r.modelVersion, r.decision, r.timing!.batchSize], [a.version, 'NORMAL', 3]);
    for (const r of ofB) assert.deepEqual([r.modelVersion, r.decision, r.timing!.batchSize], [b.version, 'PNEUMONIA', 3]);
    assert.equal(ofA[0]!.probability, ofB[0]!.probability, 'the same weights give the same probability');
    assert.deepEqual(new Set(runtime.loadedVersions), new Set([a.version, b.version]));

    // A third version pushes out the least recently used one that is not served.
    assert.equal((await classify.execute(job(0, c.version))).modelVersion, c.version);
    assert.deepEqual(runtime.loadedVersions, [c.version, a.version]);
  } finally {
    await runtime.beforeApplicationShutdown();
  }
});

test('a pub/sub notice makes the worker load the new production beside the old one and serve it', async () => {
  await registry.setChannel('production', a.version);
  // No polling: only the notice can tell the worker.
  const { runtime, config, classify } = await runtimeFor({ MODEL_CHANNEL_POLL_MS: '0' });
  const publisher = createRedisConnection(REDIS_URL, 'producer', { lazyConnect: true });
  await publisher.connect();
  try {
    assert.equal((await classify.execute({ studyId: 's', bucket, key: 'incoming/s/0.jpeg', etag: etags[0]! })).modelVersion, a.version);
    await registry.setChannel('production', b.version);
    assert.equal(await publishChannelNotice(publisher, config.redis.prefix, { model: name, channel: 'production', version: b.version }), 1);
    const deadline = Date.now() + 60_000;
    while (runtime.servedVersion !== b.version && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(runtime.servedVersion, b.version);
    assert.deepEqual(new Set(runtime.loadedVersions), new Set([a.version, b.version]));
    assert.equal((await classify.execute({ studyId: 's', bucket, key: 'incoming/s/1.jpeg', etag: etags[1]! })).modelVersion, b.version);
  } finally {
    await publisher.quit();
    await runtime.beforeApplicationShutdown();
  }
});
