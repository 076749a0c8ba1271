import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TEST_MODEL, registryInFolder, tinyWeights, writeFakeVersion } from './registry.test-harness';

describe('ModelRegistry downloads', () => {
  test('a download is a verified copy, reused while it stays intact and replaced when damaged', async () => {
    let gets = 0;
    const { registry, local } = await registryInFolder({
      store: (inner) => ({
        listObjects: (b, p) => inner.listObjects(b, p),
        headObject: (b, k) => inner.headObject(b, k),
        putObject: (b, k, body) => inner.putObject(b, k, body),
        getObject: (b, k, o) => (gets++, inner.getObject(b, k, o)),
      }),
    });
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
    const { registry, local, stored } = await registryInFolder();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await writeFile(stored('v1/weights.bin'), tinyWeights('v2'));
    const cache = await mkdtemp(path.join(tmpdir(), 'model-cache-'));

    await assert.rejects(registry.download('v1', cache), /v1\/weights\.bin as downloaded does not match its published size and SHA-256/);
    assert.deepEqual(await readdir(path.join(cache, TEST_MODEL)), []);
  });
});
