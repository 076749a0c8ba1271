import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import type { SiteCalibration } from '@pneumoscreen/contracts';
import { T0, TEST_MODEL, registryInFolder, writeFakeVersion } from './registry.test-harness';

function calibration(version: string, site: string, threshold: number): SiteCalibration {
  const p = (count: number, of: number) => ({ value: count / of, low: 0.5, high: 1, count, of });
  return {
    model: TEST_MODEL,
    version,
    site,
    threshold,
    targetSensitivity: 0.95,
    n: 40,
    sensitivity: p(19, 20),
    specificity: p(17, 20),
    auc: 0.97,
    source: 'data',
    fittedAt: T0.toISOString(),
  };
}

describe('ModelRegistry site calibrations', () => {
  test('a calibration is kept per version and site beside the version, which stays as published', async () => {
    const { registry, local, stored } = await registryInFolder();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await registry.publish(await writeFakeVersion(local, { version: 'v2' }));
    const record = await registry.getPublished('v1');
    const files = (await readdir(stored('v1'))).sort();

    assert.equal(await registry.calibrations.get('v1', 'hospital-a'), null);
    await registry.calibrations.put(calibration('v1', 'hospital-a', 0.3));
    await registry.calibrations.put(calibration('v1', 'clinic.b', 0.5));
    await registry.calibrations.put(calibration('v2', 'hospital-a', 0.6));

    assert.deepEqual(JSON.parse(await readFile(stored('calibrations/v1/hospital-a.json'), 'utf8')), calibration('v1', 'hospital-a', 0.3));
    assert.deepEqual(await registry.calibrations.get('v1', 'hospital-a'), calibration('v1', 'hospital-a', 0.3));
    assert.equal((await registry.calibrations.get('v2', 'hospital-a'))?.threshold, 0.6);
    assert.equal(await registry.calibrations.get('v2', 'clinic.b'), null);
    assert.deepEqual(
      (await registry.calibrations.list('v1')).map((c) => [c.site, c.threshold]),
      [
        ['clinic.b', 0.5],
        ['hospital-a', 0.3],
      ],
    );
    assert.deepEqual(await registry.calibrations.list('v9'), []);

    // A newer fit replaces the site's older one.
    await registry.calibrations.put(calibration('v1', 'hospital-a', 0.25));
    assert.equal((await registry.calibrations.get('v1', 'hospital-a'))?.threshold, 0.25);

    assert.deepEqual(await registry.getPublished('v1'), record);
    assert.deepEqual((await readdir(stored('v1'))).sort(), files);
    assert.deepEqual((await registry.list()).versions.map((v) => v.version).sort(), ['v1', 'v2'], 'calibrations are not versions');
  });

  test('only a published version of this model can be calibrated, for a site named like a bucket', async () => {
    const { registry, local, stored } = await registryInFolder();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await assert.rejects(
      registry.calibrations.put(calibration('v2', 'hospital-a', 0.3)),
      /no published version "v2" .* only a published version can be calibrated/,
    );
    await assert.rejects(
      registry.calibrations.put({ ...calibration('v1', 'hospital-a', 0.3), model: 'other-model' }),
      /for model "other-model" but this registry holds "pneumoscreen-pneumonia"/,
    );
    await assert.rejects(registry.calibrations.put(calibration('v1', '../v1', 0.3)), /site/);
    await assert.rejects(registry.calibrations.get('v1', 'Hospital A'), /site "Hospital A" must be/);
    await assert.rejects(readdir(stored('calibrations')), { code: 'ENOENT' });
  });

  test("a calibration stored under another site's key is an error, never that site's threshold", async () => {
    const { registry, local, stored } = await registryInFolder();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await registry.calibrations.put(calibration('v1', 'hospital-a', 0.3));
    await writeFile(stored('calibrations/v1/clinic-b.json'), await readFile(stored('calibrations/v1/hospital-a.json')));
    await assert.rejects(
      registry.calibrations.get('v1', 'clinic-b'),
      /clinic-b\.json holds the calibration of pneumoscreen-pneumonia@v1 for site hospital-a/,
    );
  });

  test('a stray published.json under calibrations/ does not make "calibrations" a version', async () => {
    const { registry, local, stored } = await registryInFolder();
    await registry.publish(await writeFakeVersion(local, { version: 'v1' }));
    await registry.calibrations.put(calibration('v1', 'hospital-a', 0.3));
    await writeFile(stored('calibrations/published.json'), await readFile(stored('v1/published.json')));
    assert.deepEqual(
      (await registry.list()).versions.map((v) => v.version),
      ['v1'],
    );
  });
});
