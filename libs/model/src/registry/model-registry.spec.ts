import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { SiteCalibration } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import { DirectoryObjectStore } from './directory-object-store';
import { ModelRegistry, VersionExistsError } from './model-registry';
import { openModelRegistry } from './open';
import { TEST_MODEL, tinyWeights, writeFakeVersion } from './registry.test-harness';

const BUCKET = 'registry';
const T0 = new Date('2026-02-01T10:00:00.000Z');

async function setup(store?: (inner: ObjectStore) => ObjectStore) {
  const root = await mkdtemp(path.join(tmpdir(), 'model-registry-'));
  const local = await mkdtemp(path.join(tmpdir(), 'model-versions-'));
  const inner = new DirectoryObjectStore(root);
  let now = T0;
  const registry = new ModelRegistry({ store: store ? store(inner) : inner, bucket: BUCKET, prefix: 'models/', name: TEST_MODEL, now: () => now });
  const stored = (key: string) => path.join(root, BUCKET, 'models', TEST_MODEL, key);
  return { registry, local, stored, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ModelRegistry publishing', () => {
  test('a version is uploaded with a record of every file, its size and SHA-256', async () => {
    const { registry, local, stored } = await setup();
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await writeFile(path.join(dir, '.DS_Store'), 'hidden files stay home');

    const record = await registry.publish(dir);
    assert.deepEqual(record.files.map((f) => f.path), ['manifest.json', 'metrics.json', 'model.json', 'model.onnx', 'plots/roc.png', 'weights.bin']);
    const weights = await readFile(path.join(dir, 'weights.bin'));
    assert.deepEqual(record.files.find((f) => f.path === 'weights.bin'), { path: 'weights.bin', size: weights.length, sha256: sha256(weights) });
    assert.deepEqual(await readFile(stored('v1/weights.bin')), weights);
    assert.deepEqual(await readFile(stored('v1/plots/roc.png')), await readFile(path.join(dir, 'plots/roc.png')));
    assert.deepEqual(JSON.parse(await readFile(stored('v1/published.json'), 'utf8')), record);
    assert.equal(record.publishedAt, T0.toISOString());
    assert.deepEqual(await registry.getPublished('v1'), record);
  });

  test('a folder whose CURRENT names a version publishes that version', async () => {
    const { registry, local } = await setup();
    await writeFakeVersion(local, { version: 'v7' });
    await writeFile(path.join(local, 'CURRENT'), 'v7\n');
    assert.equal((await registry.publish(local)).version, 'v7');
  });

  test('a published version is immutable: publishing it again fails and changes nothing', async () => {
    const { registry, local, stored } = await setup();
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await registry.publish(dir);
    await writeFile(path.join(dir, 'weights.bin'), tinyWeights('v2'));

    await assert.rejects(registry.publish(dir), (e: Error) => e instanceof VersionExistsError && /v1 is already published .* immutable/.test(e.message));
    assert.deepEqual(await readFile(stored('v1/weights.bin')), tinyWeights('v1'));
  });

  test('an interrupted publish is invisible and can be published again', async () => {
    const { registry, local, stored } = await setup();
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await registry.publish(dir);
    await rm(stored('v1/published.json'));

    assert.equal(await registry.getPublished('v1'), null);
    assert.deepEqual((await registry.list()).versions, []);
    await assert.rejects(registry.setChannel('production', 'v1'), /no published version "v1"/);
    await assert.rejects(registry.download('v1', local), /no published version "v1"/);
    assert.equal((await registry.publish(dir)).version, 'v1');
  });

  test('a folder that is not a whole, well-named version of this model is refused before any upload', async () => {
    const { registry, local, stored } = await setup();
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await rm(path.join(dir, 'weights.bin'));
    await assert.rejects(registry.publish(dir), /not a whole model version: weights\.bin is missing/);

    await assert.rejects(registry.publish(await writeFakeVersion(local, { version: 'v2', name: 'other-model' })), /names model "other-model" but this registry holds "pneumoscreen-pneumonia"/);
    await assert.rejects(registry.publish(await writeFakeVersion(local, { version: 'channels' })), /version "channels" is a reserved name/);
    await assert.rejects(registry.publish(await writeFakeVersion(local, { version: 'v 3' })), /version "v 3" must be letters, digits/);
    const odd = await writeFakeVersion(local, { version: 'v4' });
    await writeFile(path.join(odd, 'notes (draft).txt'), 'x');
    await assert.rejects(registry.publish(odd), /notes \(draft\)\.txt: the file name must be a relative path of plain names/);
    await assert.rejects(readdir(stored('')), { code: 'ENOENT' });
  });
});

describe('ModelRegistry channels', () => {
  test('a channel points at a published version and remembers the one it replaced', async () => {
    const { registry, local, advance } = await setup();
    for (const v of ['v1', 'v2']) await registry.publish(await writeFakeVersion(local, { version: v }));

    assert.equal(await registry.getChannel('production'), null);
    await assert.rejects(registry.setChannel('production', 'v9'), /no published version "v9"/);
    await assert.rejects(registry.setChannel('Prod!', 'v1'), /channel "Prod!" must be lower-case/);

    assert.deepEqual(await registry.setChannel('production', 'v1'), {
      changed: true,
      pointer: { version: 'v1', updatedAt: T0.toISOString(), previousVersion: null },
    });
    advance(60_000);
    const { pointer } = await registry.setChannel('production', 'v2');
    assert.deepEqual(pointer, { version: 'v2', updatedAt: '2026-02-01T10:01:00.000Z', previousVersion: 'v1' });
    assert.deepEqual(await registry.getChannel('production'), pointer);

    advance(60_000);
    // Promoting again must not lose the rollback target.
    assert.deepEqual(await registry.setChannel('production', 'v2'), { changed: false, pointer });
  });

  test('a canary carries its fraction; changing only the fraction keeps the rollback target', async () => {
    const { registry, local } = await setup();
    for (const v of ['v1', 'v2']) await registry.publish(await writeFakeVersion(local, { version: v }));
    await registry.setChannel('canary', 'v1', { fraction: 0.1 });
    await registry.setChannel('canary', 'v2', { fraction: 0.1 });
    const { pointer, changed } = await registry.setChannel('canary', 'v2', { fraction: 0.25 });
    assert.equal(changed, true);
    assert.deepEqual({ ...pointer, updatedAt: undefined }, { version: 'v2', previousVersion: 'v1', fraction: 0.25, updatedAt: undefined });
  });

  test('a damaged channel object is an error naming it, never read as "no channel"', async () => {
    const { registry, local, stored } = await setup();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await registry.setChannel('production', 'v1');
    await writeFile(stored('channels/production.json'), '{"version": "v1"');
    await assert.rejects(registry.getChannel('production'), /models\/pneumoscreen-pneumonia\/channels\/production\.json is not JSON/);
    await writeFile(stored('channels/production.json'), '{"version": "../v1", "updatedAt": "yesterday", "previousVersion": null}');
    await assert.rejects(registry.getChannel('production'), /production\.json is invalid: .*version/s);
  });
});

describe('ModelRegistry listing', () => {
  test('versions come newest first with their key metrics and the channels that point at them', async () => {
    const { registry, local } = await setup();
    await registry.publish(await writeFakeVersion(local, { version: 'v1', createdAt: '2026-01-01T00:00:00.000Z', auc: 0.95 }));
    await registry.publish(await writeFakeVersion(local, { version: 'v2', createdAt: '2026-01-02T00:00:00.000Z', parentVersion: 'v1' }));
    await registry.setChannel('production', 'v1');
    await registry.setChannel('canary', 'v2', { fraction: 0.05 });

    const listing = await registry.list();
    assert.equal(listing.name, TEST_MODEL);
    assert.match(listing.registry, /models\/pneumoscreen-pneumonia\/$/);
    assert.deepEqual(Object.keys(listing.channels).sort(), ['canary', 'production']);
    assert.equal(listing.channels['canary']!.fraction, 0.05);
    assert.deepEqual(listing.versions, [
      { version: 'v2', architecture: 'mobilenet_v1_0.75', createdAt: '2026-01-02T00:00:00.000Z', parentVersion: 'v1', threshold: 0.4, validation: null, channels: ['canary'], int8: false },
      { version: 'v1', architecture: 'mobilenet_v1_0.75', createdAt: '2026-01-01T00:00:00.000Z', parentVersion: null, threshold: 0.4, validation: { auc: 0.95, sensitivity: 0.95, specificity: 0.85 }, channels: ['production'], int8: false },
    ]);
  });
});

function calibration(version: string, site: string, threshold: number): SiteCalibration {
  const p = (count: number, of: number) => ({ value: count / of, low: 0.5, high: 1, count, of });
  return {
    model: TEST_MODEL, version, site, threshold, targetSensitivity: 0.95, n: 40,
    sensitivity: p(19, 20), specificity: p(17, 20), auc: 0.97, source: 'data', fittedAt: T0.toISOString(),
  };
}

describe('ModelRegistry site calibrations', () => {
  test('a calibration is kept per version and site beside the version, which stays as published', async () => {
    const { registry, local, stored } = await setup();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await registry.publish(await writeFakeVersion(local, { version: 'v2' }));
    const record = await registry.getPublished('v1');
    const files = (await readdir(stored('v1'))).sort();

    assert.equal(await registry.getCalibration('v1', 'hospital-a'), null);
    await registry.putCalibration(calibration('v1', 'hospital-a', 0.3));
    await registry.putCalibration(calibration('v1', 'clinic.b', 0.5));
    await registry.putCalibration(calibration('v2', 'hospital-a', 0.6));

    assert.deepEqual(JSON.parse(await readFile(stored('calibrations/v1/hospital-a.json'), 'utf8')), calibration('v1', 'hospital-a', 0.3));
    assert.deepEqual(await registry.getCalibration('v1', 'hospital-a'), calibration('v1', 'hospital-a', 0.3));
    assert.equal((await registry.getCalibration('v2', 'hospital-a'))?.threshold, 0.6);
    assert.equal(await registry.getCalibration('v2', 'clinic.b'), null);
    assert.deepEqual((await registry.listCalibrations('v1')).map((c) => [c.site, c.threshold]), [['clinic.b', 0.5], ['hospital-a', 0.3]]);
    assert.deepEqual(await registry.listCalibrations('v9'), []);

    // A newer fit replaces the site's older one.
    await registry.putCalibration(calibration('v1', 'hospital-a', 0.25));
    assert.equal((await registry.getCalibration('v1', 'hospital-a'))?.threshold, 0.25);

    assert.deepEqual(await registry.getPublished('v1'), record);
    assert.deepEqual((await readdir(stored('v1'))).sort(), files);
    assert.deepEqual((await registry.list()).versions.map((v) => v.version).sort(), ['v1', 'v2'], 'calibrations are not versions');
  });

  test('only a published version of this model can be calibrated, for a site named like a bucket', async () => {
    const { registry, local, stored } = await setup();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await assert.rejects(registry.putCalibration(calibration('v2', 'hospital-a', 0.3)), /no published version "v2" .* only a published version can be calibrated/);
    await assert.rejects(registry.putCalibration({ ...calibration('v1', 'hospital-a', 0.3), model: 'other-model' }), /for model "other-model" but this registry holds "pneumoscreen-pneumonia"/);
    await assert.rejects(registry.putCalibration(calibration('v1', '../v1', 0.3)), /site/);
    await assert.rejects(registry.getCalibration('v1', 'Hospital A'), /site "Hospital A" must be/);
    await assert.rejects(readdir(stored('calibrations')), { code: 'ENOENT' });
  });

  test('a calibration stored under another site\'s key is an error, never that site\'s threshold', async () => {
    const { registry, local, stored } = await setup();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await registry.putCalibration(calibration('v1', 'hospital-a', 0.3));
    await writeFile(stored('calibrations/v1/clinic-b.json'), await readFile(stored('calibrations/v1/hospital-a.json')));
    await assert.rejects(registry.getCalibration('v1', 'clinic-b'), /clinic-b\.json holds the calibration of pneumoscreen-pneumonia@v1 for site hospital-a/);
  });

  test('a stray published.json under calibrations/ does not make "calibrations" a version', async () => {
    const { registry, local, stored } = await setup();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await registry.putCalibration(calibration('v1', 'hospital-a', 0.3));
    await writeFile(stored('calibrations/published.json'), await readFile(stored('v1/published.json')));
    assert.deepEqual((await registry.list()).versions.map((v) => v.version), ['v1']);
  });
});

describe('ModelRegistry downloads', () => {
  test('a download is a verified copy, reused while it stays intact and replaced when damaged', async () => {
    let gets = 0;
    const { registry, local } = await setup((inner) => ({
      listObjects: (b, p) => inner.listObjects(b, p),
      headObject: (b, k) => inner.headObject(b, k),
      putObject: (b, k, body) => inner.putObject(b, k, body),
      getObject: (b, k, o) => (gets++, inner.getObject(b, k, o)),
    }));
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await registry.publish(dir);
    const cache = await mkdtemp(path.join(tmpdir(), 'model-cache-'));

    const copy = await registry.download('v1', cache);
    assert.equal(copy, path.join(cache, TEST_MODEL, 'v1'));
    assert.deepEqual(await readFile(path.join(copy, 'plots/roc.png')), await readFile(path.join(dir, 'plots/roc.png')));
    assert.deepEqual(JSON.parse(await readFile(path.join(copy, 'published.json'), 'utf8')), await registry.getPublished('v1'));
    assert.deepEqual(await readdir(path.join(cache, TEST_MODEL)), ['v1'], 'no download folder left behind');

    gets = 0;
    assert.equal(await registry.download('v1', cache), copy);
    assert.equal(gets, 1, 'only the record is fetched for an intact copy');

    await writeFile(path.join(copy, 'weights.bin'), 'bit rot');
    await registry.download('v1', cache);
    assert.deepEqual(await readFile(path.join(copy, 'weights.bin')), tinyWeights('v1'));
  });

  test('a stored file that no longer matches its record fails the download and leaves no copy', async () => {
    const { registry, local, stored } = await setup();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await writeFile(stored('v1/weights.bin'), tinyWeights('v2'));
    const cache = await mkdtemp(path.join(tmpdir(), 'model-cache-'));

    await assert.rejects(registry.download('v1', cache), /v1\/weights\.bin as downloaded does not match its published size and SHA-256/);
    assert.deepEqual(await readdir(path.join(cache, TEST_MODEL)), []);
  });
});

test('openModelRegistry on a folder keeps versions and channels in that folder', async () => {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'offline-')), 'registry');
  const local = await mkdtemp(path.join(tmpdir(), 'model-versions-'));
  const registry = openModelRegistry({ kind: 'directory', dir }, TEST_MODEL, () => assert.fail('no S3 store for a folder'));
  await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
  await registry.setChannel('production', 'v1');
  assert.equal(registry.location, path.join(dir, TEST_MODEL) + '/');
  assert.deepEqual((await readdir(path.join(dir, TEST_MODEL))).sort(), ['channels', 'v1']);
});
