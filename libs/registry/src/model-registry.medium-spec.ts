import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import { S3RVER_CREDENTIALS, S3Server, sharedDir, startS3Server } from '@pneumoscreen/testing';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { convertModelDir } from '@pneumoscreen/onnx';
import { ONNX_FILE, readManifest } from '@pneumoscreen/model-format';
import { loadModelVersion } from '@pneumoscreen/inference';
import { ModelRegistry, VersionExistsError } from './model-registry';
import { TEST_MODEL, copyRelease, writeFakeVersion } from './registry.test-harness';

const bucket = 'model-registry';

describe('ModelRegistry on s3rver with the committed release', () => {
  let server: S3Server;
  let store: S3ObjectStore;
  let registry: ModelRegistry;
  let release: { dir: string; version: string };

  before(async () => {
    server = await startS3Server({ buckets: [bucket] });
    // Small pages, so listing a registry walks several of them.
    store = new S3ObjectStore({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      listPageSize: 3,
    });
    registry = new ModelRegistry({ store, bucket, prefix: 'models/', name: TEST_MODEL });
    release = await copyRelease();
  });
  after(async () => {
    store?.destroy();
    await server?.stop();
  });

  test('publishing uploads every file of the version and its ONNX export under models/<name>/<version>/, leaving the folder as it was', async () => {
    const local = (await readdir(release.dir)).sort();
    assert.ok(!local.includes(ONNX_FILE), 'the committed release has no model.onnx of its own');
    const before = await contents(release.dir);
    const record = await registry.publish(release.dir);
    assert.equal(record.version, release.version);
    assert.deepEqual(
      record.files.map((f) => f.path),
      [...local, ONNX_FILE].sort(),
    );
    const onnx = Buffer.from(await convertModelDir(release.dir));
    assert.deepEqual(
      record.files.find((f) => f.path === ONNX_FILE),
      { path: ONNX_FILE, size: onnx.length, sha256: createHash('sha256').update(onnx).digest('hex') },
    );
    const keys: string[] = [];
    for await (const o of store.listObjects(bucket, `models/${TEST_MODEL}/${release.version}/`)) keys.push(o.key);
    assert.deepEqual(
      keys,
      [...local, ONNX_FILE, 'published.json'].sort().map((f) => `models/${TEST_MODEL}/${release.version}/${f}`),
    );
    assert.deepEqual(await contents(release.dir), before);
  });

  test('publishing it again is refused', async () => {
    await assert.rejects(registry.publish(release.dir), VersionExistsError);
  });

  test('channels point at versions and keep the rollback target', async () => {
    const child = await writeFakeVersion(await mkdtemp(path.join(tmpdir(), 'versions-')), {
      version: 'candidate-1',
      createdAt: '2099-01-01T00:00:00.000Z',
      parentVersion: release.version,
    });
    await registry.publish(child);
    await registry.setChannel('production', release.version);
    await registry.setChannel('production', 'candidate-1');
    await registry.setChannel('canary', release.version, { fraction: 0.1 });

    const production = await registry.getChannel('production');
    assert.equal(production?.version, 'candidate-1');
    assert.equal(production?.previousVersion, release.version);
    // Roll back: production goes to the version it replaced.
    const { pointer } = await registry.setChannel('production', production!.previousVersion!);
    assert.deepEqual([pointer.version, pointer.previousVersion], [release.version, 'candidate-1']);
    assert.equal((await registry.getChannel('canary'))?.fraction, 0.1);
  });

  test("the listing shows both versions, newest first, with the release's validation metrics", async () => {
    const manifest = await readManifest(release.dir);
    const listing = await registry.list();
    assert.deepEqual(
      listing.versions.map((v) => v.version),
      ['candidate-1', release.version],
    );
    const released = listing.versions[1]!;
    assert.deepEqual(released, {
      version: release.version,
      architecture: manifest.architecture,
      createdAt: manifest.createdAt,
      parentVersion: manifest.parentVersion,
      threshold: manifest.threshold,
      validation: {
        auc: manifest.metrics['validation']!.auc,
        sensitivity: manifest.metrics['validation']!.sensitivity,
        specificity: manifest.metrics['validation']!.specificity,
      },
      channels: ['canary', 'production'],
      int8: true,
    });
    assert.equal(listing.versions[0]!.parentVersion, release.version);
    assert.equal(listing.registry, `s3://${bucket}/models/${TEST_MODEL}/`);
  });

  test('site calibrations sit beside the versions: listed per version, never as versions', async () => {
    const fit = (site: string, threshold: number) => ({
      model: TEST_MODEL,
      version: release.version,
      site,
      threshold,
      targetSensitivity: 0.95,
      n: 30,
      sensitivity: { value: 0.95, low: 0.76, high: 0.99, count: 19, of: 20 },
      specificity: { value: 0.9, low: 0.6, high: 0.98, count: 9, of: 10 },
      auc: 0.97,
      source: 'feedback' as const,
      fittedAt: '2026-03-01T09:00:00.000Z',
    });
    await registry.calibrations.put(fit('hospital-a', 0.41));
    await registry.calibrations.put(fit('clinic-b', 0.62));
    await registry.calibrations.put(fit('hospital-a', 0.43));
    const keys: string[] = [];
    for await (const o of store.listObjects(bucket, `models/${TEST_MODEL}/calibrations/`)) keys.push(o.key);
    assert.deepEqual(
      keys,
      ['clinic-b', 'hospital-a'].map((s) => `models/${TEST_MODEL}/calibrations/${release.version}/${s}.json`),
    );
    assert.deepEqual(
      (await registry.calibrations.list(release.version)).map((c) => [c.site, c.threshold]),
      [
        ['clinic-b', 0.62],
        ['hospital-a', 0.43],
      ],
    );
    assert.deepEqual(await registry.calibrations.get(release.version, 'hospital-a'), fit('hospital-a', 0.43));
    assert.equal(await registry.calibrations.get('candidate-1', 'hospital-a'), null);
    assert.deepEqual(
      (await registry.list()).versions.map((v) => v.version),
      ['candidate-1', release.version],
    );
    await assert.rejects(
      registry.calibrations.put({ ...fit('hospital-a', 0.5), version: 'never-published' }),
      /no published version "never-published"/,
    );
  });

  test('a downloaded version is byte for byte the release and loads and scores', async () => {
    const cache = await mkdtemp(path.join(tmpdir(), 'model-cache-'));
    const dir = await registry.download(release.version, cache);
    for (const f of await readdir(release.dir)) {
      assert.deepEqual(await readFile(path.join(dir, f)), await readFile(path.join(release.dir, f)), f);
    }
    const { manifest, engine } = await loadModelVersion(dir);
    try {
      assert.equal(manifest.version, release.version);
      const [w, h] = manifest.preprocessing.inputSize;
      const [p] = await engine.predict(new Float32Array(w * h * 3), 1);
      assert.ok(p !== undefined && p >= 0 && p <= 1, `probability ${p}`);
    } finally {
      await engine.dispose();
    }
  });

  test('with ENGINE=onnxruntime a worker runs the downloaded model.onnx, which scores real X-rays as TF.js does (within 1e-4)', async () => {
    const dir = await registry.download(release.version, await mkdtemp(path.join(tmpdir(), 'model-cache-')));
    // Without the TF.js weights only the published model.onnx can give ONNX Runtime a model.
    const onnxOnly = path.join(await mkdtemp(path.join(tmpdir(), 'onnx-only-')), release.version);
    await cp(dir, onnxOnly, { recursive: true });
    await rm(path.join(onnxOnly, 'weights.bin'));
    const onnx = await loadModelVersion(onnxOnly, { engine: 'onnxruntime' });
    const tfjs = await loadModelVersion(dir, { engine: 'tfjs-wasm' });
    try {
      assert.match(onnx.engine.name, /^onnxruntime-/);
      const { batch, count } = await xrays(onnx.manifest.preprocessing);
      const expected = await tfjs.engine.predict(batch.slice(), count);
      const actual = await onnx.engine.predict(batch.slice(), count);
      const diffs = Array.from(expected, (e, i) => Math.abs(e - actual[i]!));
      assert.ok(Math.max(...diffs) <= 1e-4, `differences ${diffs.map((d) => d.toExponential(1)).join(' ')}`);
      // Agreement near 0 or 1 alone would prove little.
      assert.ok(Math.min(...expected) < 0.5 && Math.max(...expected) > 0.5, `probabilities ${Array.from(expected).join(' ')}`);
    } finally {
      await Promise.all([onnx.engine.dispose(), tfjs.engine.dispose()]);
    }
  });
});

/** Every file's bytes, by name. */
async function contents(dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const f of await readdir(dir)) out[f] = await readFile(path.join(dir, f));
  return out;
}

/** Two real X-rays of each class, preprocessed, as one NHWC batch. */
async function xrays(preprocessing: Parameters<typeof preprocess>[1]): Promise<{ batch: Float32Array; count: number }> {
  const data = path.join(sharedDir(), 'data/kermany224-train');
  const inputs: Float32Array[] = [];
  for (const label of ['NORMAL', 'PNEUMONIA']) {
    const names = (await readdir(path.join(data, label))).sort();
    for (const name of [names[0]!, names[Math.floor(names.length / 2)]!])
      inputs.push(await preprocess(await readFile(path.join(data, label, name)), preprocessing));
  }
  const batch = new Float32Array(inputs.length * inputs[0]!.length);
  inputs.forEach((x, i) => batch.set(x, i * x.length));
  return { batch, count: inputs.length };
}
