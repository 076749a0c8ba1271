import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { VersionExistsError } from './model-registry';
import { openModelRegistry } from './open';
import { T0, TEST_MODEL, registryInFolder, tinyWeights, writeFakeVersion } from './registry.test-harness';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ModelRegistry publishing', () => {
  test('a version is uploaded with a record of every file, its size and SHA-256', async () => {
    const { registry, local, stored } = await registryInFolder();
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await writeFile(path.join(dir, '.DS_Store'), 'hidden files stay home');

    const record = await registry.publish(dir);
    assert.deepEqual(
      record.files.map((f) => f.path),
      ['manifest.json', 'metrics.json', 'model.json', 'model.onnx', 'plots/roc.png', 'weights.bin'],
    );
    const weights = await readFile(path.join(dir, 'weights.bin'));
    assert.deepEqual(
      record.files.find((f) => f.path === 'weights.bin'),
      { path: 'weights.bin', size: weights.length, sha256: sha256(weights) },
    );
    assert.deepEqual(await readFile(stored('v1/weights.bin')), weights);
    assert.deepEqual(await readFile(stored('v1/plots/roc.png')), await readFile(path.join(dir, 'plots/roc.png')));
    assert.deepEqual(JSON.parse(await readFile(stored('v1/published.json'), 'utf8')), record);
    assert.equal(record.publishedAt, T0.toISOString());
    assert.deepEqual(await registry.getPublished('v1'), record);
  });

  test('a folder whose CURRENT names a version publishes that version', async () => {
    const { registry, local } = await registryInFolder();
    await writeFakeVersion(local, { version: 'v7' });
    await writeFile(path.join(local, 'CURRENT'), 'v7\n');
    assert.equal((await registry.publish(local)).version, 'v7');
  });

  test('a published version is immutable: publishing it again fails and changes nothing', async () => {
    const { registry, local, stored } = await registryInFolder();
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await registry.publish(dir);
    await writeFile(path.join(dir, 'weights.bin'), tinyWeights('v2'));

    await assert.rejects(
      registry.publish(dir),
      (e: Error) => e instanceof VersionExistsError && /v1 is already published .* immutable/.test(e.message),
    );
    assert.deepEqual(await readFile(stored('v1/weights.bin')), tinyWeights('v1'));
  });

  test('an interrupted publish is invisible and can be published again', async () => {
    const { registry, local, stored } = await registryInFolder();
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
    const { registry, local, stored } = await registryInFolder();
    const dir = await writeFakeVersion(local, { version: 'v1' });
    await rm(path.join(dir, 'weights.bin'));
    await assert.rejects(registry.publish(dir), /not a whole model version: weights\.bin is missing/);

    await assert.rejects(
      registry.publish(await writeFakeVersion(local, { version: 'v2', name: 'other-model' })),
      /names model "other-model" but this registry holds "pneumoscreen-pneumonia"/,
    );
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
    const { registry, local, advance } = await registryInFolder();
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
    const { registry, local } = await registryInFolder();
    for (const v of ['v1', 'v2']) await registry.publish(await writeFakeVersion(local, { version: v }));
    await registry.setChannel('canary', 'v1', { fraction: 0.1 });
    await registry.setChannel('canary', 'v2', { fraction: 0.1 });
    const { pointer, changed } = await registry.setChannel('canary', 'v2', { fraction: 0.25 });
    assert.equal(changed, true);
    assert.deepEqual({ ...pointer, updatedAt: undefined }, { version: 'v2', previousVersion: 'v1', fraction: 0.25, updatedAt: undefined });
  });

  test('a damaged channel object is an error naming it, never read as "no channel"', async () => {
    const { registry, local, stored } = await registryInFolder();
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
    const { registry, local } = await registryInFolder();
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
      {
        version: 'v2',
        architecture: 'mobilenet_v1_0.75',
        createdAt: '2026-01-02T00:00:00.000Z',
        parentVersion: 'v1',
        threshold: 0.4,
        validation: null,
        channels: ['canary'],
        int8: false,
      },
      {
        version: 'v1',
        architecture: 'mobilenet_v1_0.75',
        createdAt: '2026-01-01T00:00:00.000Z',
        parentVersion: null,
        threshold: 0.4,
        validation: { auc: 0.95, sensitivity: 0.95, specificity: 0.85 },
        channels: ['production'],
        int8: false,
      },
    ]);
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
