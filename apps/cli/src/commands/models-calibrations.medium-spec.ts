import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@pneumoscreen/config';
import type { Proportion, SiteCalibration } from '@pneumoscreen/contracts';
import { ModelRegistry } from '@pneumoscreen/registry';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3Server, copyRelease, startS3Server } from '@pneumoscreen/testing';
import { runCli } from '../program/program';

const share = (count: number, of: number): Proportion => ({ value: count / of, low: 0, high: 1, count, of });

describe('pneumoscreen models calibrations (s3rver)', () => {
  let server: S3Server;
  let store: S3ObjectStore;
  let env: Record<string, string>;
  let version: string;
  /** Three sites' fits as the registry keeps them: one on few positives, one from before there was a choice. */
  let fits: SiteCalibration[];

  async function listing(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(['models', 'calibrations', ...argv], {
      config: () => loadConfig(env),
      out: (t) => void (out += t),
      err: (t) => void (err += t),
    });
    return { code, out, err };
  }

  before(async () => {
    server = await startS3Server({ buckets: ['registry'] });
    store = new S3ObjectStore(server.clientOptions);
    env = {
      ...server.env,
      S3_BUCKET: 'hospital-a',
      MODEL_REGISTRY: 's3://registry/models',
      MODEL_CACHE_DIR: await mkdtemp(path.join(tmpdir(), 'calibrations-cache-')),
    };
    const registry = new ModelRegistry({ store, bucket: 'registry', prefix: 'models/', name: 'pneumoscreen-pneumonia' });
    const release = await copyRelease();
    version = release.version;
    await registry.publish(release.dir);
    await registry.setChannel('production', version);
    const fit = (site: string, threshold: number, extra: Partial<SiteCalibration>): SiteCalibration => ({
      model: 'pneumoscreen-pneumonia',
      version,
      site,
      threshold,
      targetSensitivity: 0.95,
      n: 120,
      sensitivity: share(68, 70),
      specificity: share(41, 50),
      auc: 0.97,
      source: 'data',
      fittedAt: '2026-12-01T09:00:00.000Z',
      ...extra,
    });
    fits = [
      fit('clinic-b', 0.125, { method: 'order-statistic', confidence: 0.9, promiseConfidence: 0.4, fewPositives: true, n: 30 }),
      fit('hospital-a', 0.0987, { method: 'binormal', confidence: 0.95, promiseConfidence: 0.972, source: 'feedback' }),
      fit('hospital-old', 0.2, {}),
    ];
    for (const f of fits) await registry.calibrations.put(f);
  });
  after(async () => {
    store?.destroy();
    await server?.stop();
  });

  test("lists every site's threshold of the production version with its rule and how far its promise holds", async () => {
    const table = await listing();
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, new RegExp(`^site calibrations of pneumoscreen-pneumonia@${version}\n`));
    const row = (site: string) =>
      table.out
        .split('\n')
        .find((l) => l.startsWith(`${site} `))
        ?.split(/ {2,}/);
    assert.deepEqual(row('clinic-b')?.slice(0, 6), ['clinic-b', '0.125000', '95.0%', 'order-statistic @ 90%', '40.0% FEW POSITIVES', '30']);
    assert.deepEqual(row('hospital-a'), [
      'hospital-a',
      '0.098700',
      '95.0%',
      'binormal @ 95%',
      '97.2%',
      '120',
      '97.1%',
      '82.0%',
      'feedback',
      '2026-12-01T09:00:00.000Z',
    ]);
    assert.deepEqual(row('hospital-old')?.slice(0, 5), ['hospital-old', '0.200000', '95.0%', 'empirical (older fit)', '—']);
  });

  test('--json gives the stored fits whole; a version without fits or unpublished is said so; usage errors exit 2', async () => {
    const json = await listing(version, '--json');
    assert.equal(json.code, 0, json.err);
    assert.deepEqual(JSON.parse(json.out), { version, calibrations: fits });
    const missing = await listing('no-such-version');
    assert.deepEqual([missing.code, /no published version "no-such-version"/.test(missing.err)], [1, true]);
    assert.equal((await listing('a', 'b')).code, 2);
    assert.match((await listing('--help')).out, /^Usage: pneumoscreen models calibrations \[options\] \[version\]/);
  });
});
