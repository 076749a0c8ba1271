import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AppConfig } from '@pneumoscreen/config';
import { FatalSignal } from '@pneumoscreen/queue';
import { StudyResult, type ImageResult, type SiteCalibration } from '@pneumoscreen/contracts';
import { ModelRegistry } from '@pneumoscreen/registry';
import type { S3ObjectStore } from '@pneumoscreen/storage';
import { RedisStudyRepository, systemClock } from '@pneumoscreen/studies';
import { copyRelease, repoRoot, sharedDir } from '@pneumoscreen/testing';
import { ClassifyImageUseCase } from '../classify/classify-image.use-case';
import { ModelRuntime } from '../classify/model-runtime';
import { FinaliseStudyUseCase } from './finalise-study.use-case';
import { siteCalibrationsFor, siteScopesFor } from './site-calibrations';
import { startWorkerTestBed, type WorkerTestBed } from '../worker.test-harness';

const TTL_MS = 500;
const sites = ['hospital-a', 'clinic-b'];
Logger.overrideLogger(false);

let bed: WorkerTestBed;
let store: S3ObjectStore;
let registry: ModelRegistry;
let config: AppConfig;
let runtime: ModelRuntime;
let studies: RedisStudyRepository;
/** One use case, with one calibration cache, for every study: as a running worker has. */
let finalise: FinaliseStudyUseCase;
let release: Awaited<ReturnType<typeof copyRelease>>;
/** The worker scores only the object version a job names: each site's sample's ETag. */
const etags = new Map<string, string>();

before(async () => {
  bed = await startWorkerTestBed('pscalib', ['registry', ...sites]);
  store = bed.store;
  registry = new ModelRegistry({ store, bucket: 'registry', prefix: 'models/', name: 'pneumoscreen-pneumonia' });
  release = await copyRelease();
  await registry.publish(release.dir);
  await registry.setChannel('production', release.version);
  const normal = await readFile(path.join(repoRoot(), 'samples/studies/demo-normal-a/IM-0117-0001.jpeg'));
  for (const site of sites) etags.set(site, (await store.putObject(site, 'incoming/s/a.jpeg', normal, 'image/jpeg')).etag);
  config = bed.config({
    MODEL_REGISTRY: 's3://registry/models',
    MODEL_CACHE_DIR: await mkdtemp(path.join(tmpdir(), 'worker-cache-')),
    MODEL_CHANNEL_POLL_MS: String(TTL_MS),
  });
  runtime = new ModelRuntime(config, store, new FatalSignal());
  runtime.onModuleInit();
  studies = new RedisStudyRepository(bed.redis, config.redis.prefix);
  finalise = new FinaliseStudyUseCase(
    config,
    store,
    studies,
    { enqueue: async () => assert.fail('no webhook endpoint is configured') },
    systemClock,
    siteCalibrationsFor(config, store, (m) => assert.fail(m)),
    { idFor: async () => assert.fail('no webhook endpoint is configured') },
  );
});
after(async () => {
  await runtime?.beforeApplicationShutdown();
  await bed?.close();
});

/** Classifies the study's one image with the real model, then finalises the study as the worker
 * does, and reads back the result it stored. */
async function runStudy(studyId: string, bucket: string): Promise<{ image: ImageResult; result: StudyResult }> {
  const image = await new ClassifyImageUseCase(config, store, runtime, { record: () => undefined }).execute({
    studyId,
    bucket,
    key: 'incoming/s/a.jpeg',
    etag: etags.get(bucket)!,
    modelVersion: release.version,
  });
  const study = { studyId, bucket, imageCount: 1, submittedAt: new Date().toISOString(), modelVersion: release.version };
  await finalise.execute(study, [image]);
  const stored = StudyResult.parse(
    JSON.parse((await store.getObject(bucket, `results/${studyId}.json`, { maxBytes: 1e6 })).body.toString('utf8')),
  );
  return { image, result: stored };
}

test("a calibration for the study's site changes its decision once it is read; other sites keep the version's threshold", async () => {
  const before = await runStudy('s1', 'hospital-a');
  const p = before.image.probability!;
  assert.ok(p < release.threshold, `the normal sample scores ${p}, under the version's threshold ${release.threshold}`);
  assert.deepEqual([before.image.decision, before.image.threshold], ['NORMAL', release.threshold]);
  assert.deepEqual(
    [before.result.decision, before.result.threshold, before.result.thresholdSource],
    ['NORMAL', release.threshold, 'model'],
  );

  // A site threshold at exactly this image's score: the image is now called positive there.
  const fitted: SiteCalibration = {
    model: 'pneumoscreen-pneumonia',
    version: release.version,
    site: 'hospital-a',
    threshold: p,
    targetSensitivity: 0.95,
    n: 40,
    sensitivity: { value: 0.95, low: 0.76, high: 0.99, count: 19, of: 20 },
    specificity: { value: 0.6, low: 0.39, high: 0.78, count: 12, of: 20 },
    auc: 0.9,
    source: 'data',
    fittedAt: new Date().toISOString(),
  };
  await registry.calibrations.put(fitted);
  await new Promise((r) => setTimeout(r, TTL_MS + 100));

  const after = await runStudy('s2', 'hospital-a');
  assert.equal(after.image.probability, p);
  assert.deepEqual([after.result.decision, after.result.threshold, after.result.thresholdSource], ['PNEUMONIA', p, 'site:hospital-a']);
  assert.deepEqual([after.result.images[0]!.decision, after.result.images[0]!.threshold], ['PNEUMONIA', p]);
  assert.equal((await studies.get('s2'))?.summary?.decision, 'PNEUMONIA');

  const elsewhere = await runStudy('s3', 'clinic-b');
  assert.deepEqual([elsewhere.result.decision, elsewhere.result.thresholdSource], ['NORMAL', 'model']);
});

test("a site that widened the version's intended use gets its adults assessed; other sites keep them NOT_ASSESSED", async () => {
  const adult = await readFile(path.join(sharedDir(), 'data/dicom/nih_cxr_nofinding_DX_nhsx.dcm'));
  const adultEtags = new Map<string, string>();
  for (const site of sites) adultEtags.set(site, (await store.putObject(site, 'incoming/adult/a.dcm', adult, 'application/dicom')).etag);
  const classify = new ClassifyImageUseCase(
    config,
    store,
    runtime,
    { record: () => undefined },
    siteScopesFor(config, store, (m) => assert.fail(m)),
  );
  const run = (bucket: string) =>
    classify.execute({
      studyId: 'adult',
      bucket,
      key: 'incoming/adult/a.dcm',
      etag: adultEtags.get(bucket)!,
      modelVersion: release.version,
    });

  const before = await run('hospital-a');
  assert.deepEqual([before.decision, before.outOfScope, before.probability], ['NOT_ASSESSED', { reason: 'adult', score: 1 }, undefined]);

  await registry.scopes.put({
    version: release.version,
    site: 'hospital-a',
    population: { minAgeYears: 0, maxAgeYears: 120 },
    accept: ['unlike-training-data'],
    note: 'validated on 400 local adult films',
    updatedAt: new Date().toISOString(),
  });
  await new Promise((r) => setTimeout(r, TTL_MS + 100));
  const after = await run('hospital-a');
  assert.equal(after.outOfScope, undefined);
  assert.equal(typeof after.probability, 'number');
  assert.match(after.decision ?? '', /^(NORMAL|PNEUMONIA)$/);
  assert.equal((await run('clinic-b')).outOfScope?.reason, 'adult');
});
