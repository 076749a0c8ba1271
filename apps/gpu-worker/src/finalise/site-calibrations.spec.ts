import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@pneumoscreen/config';
import type { SiteCalibration } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import { CachedRegistryCalibrations, NO_SITE_CALIBRATIONS, siteCalibrationsFor } from './site-calibrations';

const fitted = (threshold: number): SiteCalibration => ({
  model: 'pneumoscreen-pneumonia',
  version: 'v1',
  site: 'hospital-a',
  threshold,
  targetSensitivity: 0.95,
  n: 40,
  sensitivity: { value: 0.95, low: 0.76, high: 0.99, count: 19, of: 20 },
  specificity: { value: 0.85, low: 0.64, high: 0.95, count: 17, of: 20 },
  auc: 0.97,
  source: 'data',
  fittedAt: '2026-01-01T00:00:00.000Z',
});

/** A registry whose stored calibration the test changes, counting reads; `fail` makes reads throw. */
function registry() {
  const state = { stored: fitted(0.5) as SiteCalibration | null, reads: 0, fail: false };
  const get = async (version: string, site: string) => {
    state.reads++;
    if (state.fail) throw new Error('S3 is unreachable');
    return state.stored && version === state.stored.version && site === state.stored.site ? state.stored : null;
  };
  return { state, registry: { calibrations: { get } } };
}

describe('CachedRegistryCalibrations', () => {
  test('reads each (version, site) once per TTL, so a new fit takes effect after at most that long', async () => {
    const { state, registry: r } = registry();
    let now = 0;
    const cache = new CachedRegistryCalibrations(r, 1000, assert.fail, () => now);
    assert.equal((await cache.find('v1', 'hospital-a'))?.threshold, 0.5);
    assert.equal(await cache.find('v1', 'clinic-b'), null);
    state.stored = fitted(0.4);
    now = 999;
    assert.equal((await cache.find('v1', 'hospital-a'))?.threshold, 0.5);
    assert.equal(state.reads, 2);
    now = 1000;
    assert.equal((await cache.find('v1', 'hospital-a'))?.threshold, 0.4);
    assert.equal(state.reads, 3);
  });

  test('concurrent lookups share one read', async () => {
    const { state, registry: r } = registry();
    const cache = new CachedRegistryCalibrations(r, 1000, assert.fail);
    const found = await Promise.all([1, 2, 3].map(() => cache.find('v1', 'hospital-a')));
    assert.deepEqual(
      found.map((c) => c?.threshold),
      [0.5, 0.5, 0.5],
    );
    assert.equal(state.reads, 1);
  });

  test("a failed re-read keeps the last answer with a warning; a failed first read is the caller's error, retried next time", async () => {
    const { state, registry: r } = registry();
    let now = 0;
    const warnings: string[] = [];
    const cache = new CachedRegistryCalibrations(
      r,
      1000,
      (m) => warnings.push(m),
      () => now,
    );
    state.fail = true;
    await assert.rejects(cache.find('v1', 'hospital-a'), /S3 is unreachable/);
    state.fail = false;
    assert.equal((await cache.find('v1', 'hospital-a'))?.threshold, 0.5, 'a failure is not cached');
    state.fail = true;
    now = 5000;
    assert.equal((await cache.find('v1', 'hospital-a'))?.threshold, 0.5);
    assert.match(
      warnings.join('\n'),
      /cannot re-read the calibration of v1 for site hospital-a, still using the last one read: S3 is unreachable/,
    );
  });

  test('a bucket that cannot be a site name, or a version id outside any registry, has no calibration and costs no read', async () => {
    const { state, registry: r } = registry();
    const cache = new CachedRegistryCalibrations(r, 1000, assert.fail);
    assert.equal(await cache.find('v1', 'Hospital_A'), null);
    assert.equal(await cache.find('../v1', 'hospital-a'), null);
    assert.equal(state.reads, 0);
  });
});

test('a worker without MODEL_REGISTRY has no calibrations; with one, they are cached', () => {
  const store = {} as ObjectStore;
  assert.equal(siteCalibrationsFor(loadConfig({}), store, assert.fail), NO_SITE_CALIBRATIONS);
  assert.ok(
    siteCalibrationsFor(loadConfig({ MODEL_REGISTRY: 's3://models-bucket/models' }), store, assert.fail) instanceof
      CachedRegistryCalibrations,
  );
});
