import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3RVER_CREDENTIALS, S3Server, startS3Server } from '@pneumoscreen/testing';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { loadModelVersion, readManifest } from './load';
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
    store = new S3ObjectStore({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS, listPageSize: 3 });
    registry = new ModelRegistry({ store, bucket, prefix: 'models/', name: TEST_MODEL });
    release = await copyRelease();
  });
  after(async () => {
    store?.destroy();
    await server?.stop();
  });

  test('publishing uploads every file of the version under models/<name>/<version>/', async () => {
    const record = await registry.publish(release.dir);
    assert.equal(record.version, release.version);
    const local = (await readdir(release.dir)).sort();
    assert.deepEqual(record.files.map((f) => f.path), local);
    const keys: string[] = [];
    for await (const o of store.listObjects(bucket, `models/${TEST_MODEL}/${release.version}/`)) keys.push(o.key);
    assert.deepEqual(keys, [...local, 'published.json'].sort().map((f) => `models/${TEST_MODEL}/${release.version}/${f}`));
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

  test('the listing shows both versions, newest first, with the release\'s validation metrics', async () => {
    const manifest = await readManifest(release.dir);
    const listing = await registry.list();
    assert.deepEqual(listing.versions.map((v) => v.version), ['candidate-1', release.version]);
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
    });
    assert.equal(listing.versions[0]!.parentVersion, release.version);
    assert.equal(listing.registry, `s3://${bucket}/models/${TEST_MODEL}/`);
  });

  test('site calibrations sit beside the versions: listed per version, never as versions', async () => {
    const fit = (site: string, threshold: number) => ({
      model: TEST_MODEL, version: release.version, site, threshold, targetSensitivity: 0.95, n: 30,
      sensitivity: { value: 0.95, low: 0.76, high: 0.99, count: 19, of: 20 },
      specificity: { value: 0.9, low: 0.6, high: 0.98, count: 9, of: 10 },
      auc: 0.97, source: 'feedback' as const, fittedAt: '2026-03-01T09:00:00.000Z',
    });
    await registry.putCalibration(fit('hospital-a', 0.41));
    await registry.putCalibration(fit('clinic-b', 0.62));
    await registry.putCalibration(fit('hospital-a', 0.43));
    const keys: string[] = [];
    for await (const o of store.listObjects(bucket, `models/${TEST_MODEL}/calibrations/`)) keys.push(o.key);
    assert.deepEqual(keys, ['clinic-b', 'hospital-a'].map((s) => `models/${TEST_MODEL}/calibrations/${release.version}/${s}.json`));
    assert.deepEqual((await registry.listCalibrations(release.version)).map((c) => [c.site, c.threshold]), [['clinic-b', 0.62], ['hospital-a', 0.43]]);
    assert.deepEqual(await registry.getCalibration(release.version, 'hospital-a'), fit('hospital-a', 0.43));
    assert.equal(await registry.getCalibration('candidate-1', 'hospital-a'), null);
    assert.deepEqual((await registry.list()).versions.map((v) => v.version), ['candidate-1', release.version]);
    await assert.rejects(registry.putCalibration({ ...fit('hospital-a', 0.5), version: 'never-published' }), /no published version "never-published"/);
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
});
