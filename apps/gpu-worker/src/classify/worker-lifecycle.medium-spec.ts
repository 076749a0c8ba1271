import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { loadConfig } from '@pneumoscreen/config';
import { JobName, QueueName } from '@pneumoscreen/contracts';
import { JOBS, redisOptionsFromUrl } from '@pneumoscreen/queue';
import { ModelRegistry } from '@pneumoscreen/registry';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3RVER_CREDENTIALS, copyRelease, repoRoot, spawnApp, startS3Server, type S3Server, type SpawnedApp } from '@pneumoscreen/testing';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BUCKET = 'lifecycle';
const WORKER = path.join(repoRoot(), 'apps/gpu-worker/dist/main.js');
let s3: S3Server;
let store: S3ObjectStore;
let etag: string;

before(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  store = new S3ObjectStore(s3.clientOptions);
  const film = await readFile(path.join(repoRoot(), 'samples/studies/demo-normal-a/IM-0117-0001.jpeg'));
  etag = (await store.putObject(BUCKET, 'incoming/s/0.jpeg', film, 'image/jpeg')).etag;
});
after(async () => {
  store?.destroy();
  await s3?.stop();
});

/** A classify-only worker on a private prefix, with one image job queued before it starts. */
async function workerWithQueuedJob(env: Record<string, string>) {
  const base = {
    REDIS_URL,
    REDIS_PREFIX: `pslife-${randomBytes(4).toString('hex')}`,
    WORKER_POOLS: 'classify',
    ENGINE: 'onnxruntime-int8',
    METRICS_PORT: '0',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    ...env,
  };
  const queue = new Queue(QueueName.image, { connection: redisOptionsFromUrl(REDIS_URL), prefix: loadConfig(base).redis.prefix });
  const job = await queue.add(
    JobName.classifyImage,
    { studyId: 's', bucket: BUCKET, key: 'incoming/s/0.jpeg', etag },
    JOBS[JobName.classifyImage].options,
  );
  const worker = spawnApp('gpu-worker', WORKER, { PATH: process.env.PATH, ...base });
  const cleanUp = async () => {
    await worker.stop();
    await queue.obliterate({ force: true });
    await queue.close();
  };
  return { queue, job, worker, cleanUp };
}

function exitOf(worker: SpawnedApp, timeoutMs: number): Promise<number | null> {
  if (worker.child.exitCode !== null) return Promise.resolve(worker.child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker did not exit within ${timeoutMs} ms:\n${worker.output.slice(-20).join('\n')}`)),
      timeoutMs,
    );
    worker.child.once('exit', (code) => (clearTimeout(timer), resolve(code)));
  });
}

test('a worker whose engine cannot load closes its pools and exits 1, leaving the queued job waiting', { timeout: 90_000 }, async () => {
  const release = await copyRelease();
  await writeFile(path.join(release.dir, 'model.int8.onnx'), randomBytes(4096));
  const { queue, job, worker, cleanUp } = await workerWithQueuedJob({ MODEL_DIR: release.dir, S3_ENDPOINT: s3.endpoint });
  try {
    assert.equal(await exitOf(worker, 60_000), 1);
    const lines = worker.output.join('\n');
    assert.match(lines, /cannot load the model from .*; closing the pools before exiting/);
    assert.match(lines, /closed; exiting 1/);
    const after = (await queue.getJob(job.id!))!;
    assert.equal(await after.getState(), 'waiting');
    assert.equal(after.attemptsMade, 0, 'no attempt spent');
  } finally {
    await cleanUp();
  }
});

/** A TCP relay to the S3 server that holds every connection until `open()`: the registry the
 * worker loads its model from answers only then. */
async function heldRelay(target: URL): Promise<{ endpoint: string; open(): void; close(): Promise<void> }> {
  const held: Socket[] = [];
  const sockets = new Set<Socket>();
  let opened = false;
  const relay = (client: Socket) => {
    const upstream = createConnection(Number(target.port), target.hostname);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => (client.destroy(), upstream.destroy());
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.pause();
    if (opened) relay(client);
    else held.push(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    open() {
      opened = true;
      for (const client of held.splice(0)) relay(client);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readiness(url: string): Promise<number> {
  return (await fetch(url.replace(/\/metrics$/, '/ready'))).status;
}

test('a job queued before the model is warm is not taken until it is; /ready answers 503 until then', { timeout: 150_000 }, async () => {
  const registry = new ModelRegistry({ store, bucket: BUCKET, prefix: 'models/', name: 'pneumoscreen-pneumonia' });
  const release = await copyRelease({ version: `lifecycle-${randomBytes(3).toString('hex')}` });
  await registry.publish(release.dir);
  await registry.setChannel('production', release.version);
  const relay = await heldRelay(new URL(s3.endpoint));
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'lifecycle-cache-'));
  const { queue, job, worker, cleanUp } = await workerWithQueuedJob({
    S3_ENDPOINT: relay.endpoint,
    MODEL_REGISTRY: `s3://${BUCKET}/models`,
    MODEL_CACHE_DIR: cacheDir,
    MODEL_CHANNEL_POLL_MS: '0',
  });
  try {
    const [, metricsUrl] = await worker.waitForLine(/metrics at (\S+)/, 60_000);
    // Started (its metrics endpoint listens only once every module is up), model not yet loaded.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await (await queue.getJob(job.id!))!.getState(), 'waiting', 'not taken while the model cannot load');
    assert.equal(await readiness(metricsUrl!), 503);

    relay.open();
    await worker.waitForLine(/model .* ready in/, 60_000);
    const deadline = Date.now() + 60_000;
    while ((await (await queue.getJob(job.id!))!.getState()) !== 'completed') {
      assert.ok(Date.now() < deadline, `the job did not complete within 60 s:\n${worker.output.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await queue.getJob(job.id!))!.returnvalue.modelVersion, release.version);
    assert.equal(await readiness(metricsUrl!), 200);
  } finally {
    await cleanUp();
    await relay.close();
  }
});
