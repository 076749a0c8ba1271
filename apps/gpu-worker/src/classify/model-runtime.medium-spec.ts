import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@pneumoscreen/config';
import { ModelRegistry, readManifest, resolveModelDir } from '@pneumoscreen/model';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3RVER_CREDENTIALS, S3Server, repoRoot, startS3Server } from '@pneumoscreen/testing';
import { ModelRuntime } from './model-runtime';

const bucket = 'worker-models';
let server: S3Server;
let store: S3ObjectStore;

before(async () => {
  server = await startS3Server({ buckets: [bucket] });
  store = new S3ObjectStore({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
});
after(async () => {
  store?.destroy();
  await server?.stop();
});

test('with MODEL_REGISTRY the worker serves the version its channel points at, from a verified cache', async () => {
  const releases = path.join(repoRoot(), 'models/releases');
  const { version } = await readManifest(await resolveModelDir(releases));
  const registry = new ModelRegistry({ store, bucket, prefix: 'models/', name: 'pneumoscreen-pneumonia' });
  await registry.publish(releases);
  await registry.setChannel('canary', version);

  const cacheDir = await mkdtemp(path.join(tmpdir(), 'worker-cache-'));
  const config = loadConfig({
    S3_ENDPOINT: server.endpoint,
    MODEL_REGISTRY: `s3://${bucket}/models`,
    MODEL_CHANNEL: 'canary',
    MODEL_CACHE_DIR: cacheDir,
    // Proves the registry, not the folder, is what the worker loads.
    MODEL_DIR: path.join(cacheDir, 'no-such-folder'),
  });
  const runtime = new ModelRuntime(config, store);
  runtime.onModuleInit();
  try {
    const manifest = await runtime.manifest();
    assert.equal(manifest.version, version);
    const [w, h] = manifest.preprocessing.inputSize;
    const { probability, batchSize } = await runtime.predict(new Float32Array(w * h * 3));
    assert.ok(probability >= 0 && probability <= 1, `probability ${probability}`);
    assert.equal(batchSize, 1);
    assert.deepEqual(await readdir(path.join(cacheDir, 'pneumoscreen-pneumonia')), [version]);
  } finally {
    await runtime.onModuleDestroy();
  }
});
