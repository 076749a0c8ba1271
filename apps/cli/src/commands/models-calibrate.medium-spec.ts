import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import type { FeedbackRecord } from '@pneumoscreen/contracts';
import { FeedbackStore } from '@pneumoscreen/feedback';
import { preprocess } from '@pneumoscreen/imaging';
import { ModelRegistry } from '@pneumoscreen/registry';
import { chooseThreshold, listDataset, moreTrialsForWidth } from '@pneumoscreen/evaluation';
import { loadModelVersion } from '@pneumoscreen/inference';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { S3Server, copyRelease, repoRoot, startS3Server } from '@pneumoscreen/testing';
import { runCli } from '../program/program';
import { labelledSet } from './calibration-set.test-harness';

/** 12 PNEUMONIA images are enough for 90% sensitivity with 50% confidence (minPositives: 7), not for 95%/95% (59). */
const RULE = ['--target-sensitivity', '0.9', '--confidence', '0.5'];
const SITE = 'hospital-a';
const OTHER_SITE = 'clinic-b';
describe('pneumoscreen models calibrate (s3rver)', () => {
  let server: S3Server;
  let store: S3ObjectStore;
  let registry: ModelRegistry;
  let env: Record<string, string>;
  let release: Awaited<ReturnType<typeof copyRelease>>;
  let data: string;
  /** The threshold RULE chooses binormally, by this test's own scoring, on the images of `data`. */
  let expected: ReturnType<typeof chooseThreshold>;

  async function models(argv: string[], extra: Record<string, string> = {}) {
    let out = '';
    let err = '';
    const code = await runCli(['models', ...argv], {
      config: () => loadConfig({ ...env, ...extra }),
      out: (t) => void (out += t),
      err: (t) => void (err += t),
    });
    return { code, out, err };
  }
  const run = (argv: string[], extra: Record<string, string> = {}) => models(['calibrate', ...argv], extra);

  before(async () => {
    server = await startS3Server({ buckets: ['registry', SITE, OTHER_SITE] });
    store = new S3ObjectStore(server.clientOptions);
    env = {
      ...server.env,
      S3_BUCKET: SITE,
      MODEL_REGISTRY: 's3://registry/models',
      MODEL_CACHE_DIR: await mkdtemp(path.join(tmpdir(), 'calibrate-cache-')),
    };
    registry = new ModelRegistry({ store, bucket: 'registry', prefix: 'models/', name: 'pneumoscreen-pneumonia' });
    release = await copyRelease();
    await registry.publish(release.dir);
    await registry.setChannel('production', release.version);
    data = await labelledSet({ NORMAL: 6, PNEUMONIA: 6 });

    const images = await listDataset(data);
    const { manifest, engine } = await loadModelVersion(release.dir);
    const scores: number[] = [];
    try {
      for (const image of images)
        scores.push((await engine.predict(await preprocess(await readFile(image.path), manifest.preprocessing), 1))[0]!);
    } finally {
      await engine.dispose();
    }
    expected = chooseThreshold(
      scores,
      images.map((i) => i.label),
      { target: 0.9, method: 'binormal', confidence: 0.5 },
    );
  });
  after(async () => {
    store?.destroy();
    await server?.stop();
  });

  test("--data chooses the production version's threshold binormally for S3_BUCKET's site and records it and its rule", async () => {
    const { code, out, err } = await run(['--data', data, '--json', ...RULE]);
    assert.equal(code, 0, err);
    const r = JSON.parse(out);
    assert.ok(Math.abs(r.threshold - expected.threshold) < 1e-5, `fitted ${r.threshold}, expected ${expected.threshold}`);
    assert.deepEqual(
      [r.version, r.site, r.source, r.n, r.positives, r.negatives, r.targetSensitivity],
      [release.version, SITE, 'data', 24, 12, 12, 0.9],
    );
    assert.deepEqual([r.method, r.confidence, r.positivesNeeded, r.fewPositives], ['binormal', 0.5, 7, false]);
    assert.ok(Math.abs(r.promiseConfidence - expected.promiseConfidence) < 1e-6);
    const more = (ci: { count: number; of: number }) => moreTrialsForWidth(ci.count, ci.of, 0.05);
    const stored = await registry.calibrations.get(release.version, SITE);
    assert.deepEqual(r.moreImagesNeeded, {
      intervalWidth: 0.05,
      positives: more(stored!.sensitivity),
      negatives: more(stored!.specificity),
    });
    assert.ok(r.moreImagesNeeded.positives > 0 && r.moreImagesNeeded.negatives > 0);
    assert.ok(r.sensitivityCi.low < r.sensitivity && r.sensitivityCi.high <= 1);
    assert.ok(r.specificityCi.low <= r.specificity && r.specificity <= r.specificityCi.high);
    assert.equal(r.versionThreshold.threshold, release.threshold);
    assert.equal(r.recordedAt, `s3://registry/models/pneumoscreen-pneumonia/calibrations/${release.version}/${SITE}.json`);

    assert.deepEqual(
      [stored?.threshold, stored?.n, stored?.sensitivity.value, stored?.specificity.value, stored?.method, stored?.confidence],
      [r.threshold, 24, r.sensitivity, r.specificity, 'binormal', 0.5],
    );
    assert.equal((await registry.list()).versions.length, 1);
  });

  test('the table names the site, the rule, both thresholds, the intervals and the images that would narrow them', async () => {
    const argv = [release.version, '--data', data, '--site', OTHER_SITE, '--target-sensitivity', '0.8', '--confidence', '0.5'];
    const { code, out } = await run([...argv, '--method', 'order-statistic', '--interval-width', '0.1']);
    assert.equal(code, 0);
    assert.match(out, new RegExp(`calibrated for site ${OTHER_SITE} on 24 images \\(12 PNEUMONIA, 12 NORMAL\\)`));
    assert.match(out, new RegExp(`^threshold +[01]\\.\\d{6} +${release.threshold.toFixed(6).replace('.', '\\.')}$`, 'm'));
    assert.match(out, /^sensitivity +\d+\.\d% \(\d+\.\d%-\d+\.\d%\) \d+\/12 +\d+\.\d% \(/m);
    assert.match(out, /target sensitivity 80\.0% with 50\.0% confidence, threshold by order-statistic/);
    assert.match(out, /^promise confidence \d+\.\d%/m);
    const stored = (await registry.calibrations.get(release.version, OTHER_SITE))!;
    const more = (p: { count: number; of: number }) => moreTrialsForWidth(p.count, p.of, 0.1);
    assert.match(
      out,
      new RegExp(`: ${more(stored.sensitivity)} more PNEUMONIA images \\(sensitivity\\), ${more(stored.specificity)} more NORMAL`),
    );
    assert.deepEqual([stored.targetSensitivity, stored.method], [0.8, 'order-statistic']);
  });

  test("eval VERSION --site measures at the site's threshold, and at the version's own without it", async () => {
    const main = path.join(repoRoot(), 'apps/cli/dist/main.js');
    const evaluate = async (...extra: string[]) =>
      JSON.parse(
        (
          await promisify(execFile)(process.execPath, [main, 'eval', release.version, '--data', data, '--json', ...extra], {
            env: { ...process.env, ...env },
          })
        ).stdout,
      );
    const site = (await registry.calibrations.get(release.version, SITE))!;
    const atSite = await evaluate('--site', SITE);
    // The metrics are those of the assessed images; the content guard may refuse one of the 24.
    assert.deepEqual([atSite.threshold, atSite.thresholdSource, atSite.n + atSite.outOfScope.count], [site.threshold, `site:${SITE}`, 24]);
    assert.equal(atSite.sensitivity, site.sensitivity.value);
    const own = await evaluate();
    assert.deepEqual([own.threshold, own.thresholdSource], [release.threshold, 'model']);
    const uncalibrated = await evaluate('--site', 'no-such-site');
    assert.deepEqual([uncalibrated.threshold, uncalibrated.thresholdSource], [release.threshold, 'model']);
  });

  test("--from-feedback uses the site's labelled images that are unchanged, saying how many it left out", async () => {
    const feedback = new FeedbackStore(store, SITE, 'feedback/');
    const images = await listDataset(data);
    const record = (bucket: string, key: string, etag: string, label: 'NORMAL' | 'PNEUMONIA'): FeedbackRecord => ({
      feedbackId: randomUUID(),
      studyId: `study-${key.replace(/\W/g, '')}`,
      bucket,
      scope: 'image',
      images: [{ key, etag }],
      label,
      readerId: 'reader-1',
      receivedAt: '2026-03-01T10:00:00.000Z',
      recordedAt: '2026-03-01T10:00:01.000Z',
    });
    for (const [i, image] of images.entries()) {
      const key = `incoming/f${i}/image.jpeg`;
      const label = image.label ? 'PNEUMONIA' : 'NORMAL';
      const bytes = await readFile(image.path);
      await feedback.append(record(SITE, key, (await store.putObject(SITE, key, bytes)).etag, label));
      // Labels of another site never move this one's threshold.
      await feedback.append(
        record(OTHER_SITE, key, (await store.putObject(OTHER_SITE, key, bytes)).etag, label === 'NORMAL' ? 'PNEUMONIA' : 'NORMAL'),
      );
    }
    const replaced = await store.putObject(SITE, 'incoming/r/image.jpeg', await readFile(images[0]!.path));
    await feedback.append(record(SITE, 'incoming/r/image.jpeg', replaced.etag, 'PNEUMONIA'));
    await store.putObject(SITE, 'incoming/r/image.jpeg', await readFile(images[20]!.path));
    await feedback.append(record(SITE, 'incoming/gone/image.jpeg', 'd41d8cd98f00b204e9800998ecf8427e', 'NORMAL'));

    const { code, out, err } = await run(['--from-feedback', '--json', ...RULE]);
    assert.equal(code, 0, err);
    const r = JSON.parse(out);
    assert.deepEqual([r.site, r.source, r.n, r.positives, r.negatives], [SITE, 'feedback', 24, 12, 12]);
    assert.deepEqual(r.skipped, { 'changed since labelled': 1, gone: 1 });
    assert.ok(Math.abs(r.threshold - expected.threshold) < 1e-5, `fitted ${r.threshold}, expected ${expected.threshold}`);
    assert.equal((await registry.calibrations.get(release.version, SITE))?.source, 'feedback');

    const table = await run(['--from-feedback', ...RULE]);
    assert.match(table.out, /left out: 1 changed since labelled, 1 gone/);
  });

  test('fewer PNEUMONIA images than 95%/95% needs is refused before scoring, saying how many and why; recording nothing', async () => {
    const { code, out, err } = await run(['--data', data, '--site', 'few-site']);
    assert.deepEqual([code, out], [1, '']);
    assert.match(err, /^12 PNEUMONIA images cannot back a promise of 95% sensitivity with 95% confidence: it needs at least 59\./);
    assert.match(err, /0\.95\^59 = 0\.048\) is that below 0\.05.*--allow-few-positives to fit anyway/);
    assert.doesNotMatch(err, /scored/);
    assert.equal(await registry.calibrations.get(release.version, 'few-site'), null);
  });

  test('--allow-few-positives fits anyway, warns on stderr and records that the positives were few', async () => {
    const { code, out, err } = await run(['--data', data, '--site', 'few-site', '--allow-few-positives']);
    assert.equal(code, 0, err);
    assert.match(err, /WARNING: 12 PNEUMONIA images, fewer than the 59 that 95% sensitivity with 95% confidence needs/);
    assert.match(out, /^FEW POSITIVES: /m);
    const stored = await registry.calibrations.get(release.version, 'few-site');
    assert.deepEqual([stored?.method, stored?.confidence, stored?.fewPositives], ['binormal', 0.95, true]);
  });

  test('too few images of a class is refused and records nothing', async () => {
    const few = await labelledSet({ NORMAL: 1, PNEUMONIA: 6 });
    const { code, err } = await run(['--data', few, '--site', 'small-site']);
    assert.equal(code, 1);
    assert.match(err, /at least 10 images of each class; got 12 PNEUMONIA and 2 NORMAL: a threshold fitted on so few is not a calibration/);
    assert.equal(await registry.calibrations.get(release.version, 'small-site'), null);
  });

  test('an unpublished version fails naming it', async () => {
    const unknown = await run(['no-such-version', '--data', data, ...RULE]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no published version "no-such-version"/);
  });
});
