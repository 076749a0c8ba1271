import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppConfig } from '@pneumoscreen/config';
import { PacsDeliveryStatus, QueueName, pacsStatusKey } from '@pneumoscreen/contracts';
import { readDicomSource, secondaryCapture, SECONDARY_CAPTURE_SOP_CLASS, structuredReport } from '@pneumoscreen/imaging';
import { redisOptionsFromUrl } from '@pneumoscreen/queue';
import type { S3ObjectStore } from '@pneumoscreen/storage';
import { sharedDir, startOrthanc, type OrthancServer } from '@pneumoscreen/testing';
import { AdaptersModule } from '../adapters.module';
import { BullPacsOutbox } from '../finalise/pacs-outbox';
import { REDIS } from '../tokens';
import { captureLogs, startWorkerTestBed, type WorkerTestBed } from '../worker.test-harness';
import { PacsPoolModule } from './pacs-pool.module';
import { StowRsPublisher } from './stow-rs';

const BUCKET = 'site';
const SOURCE = path.join(sharedDir(), 'data/dicom/kermany_train_PNEUMONIA_person1003_virus_1685_explicitLE.dcm');
/** What the source carries that identifies a patient: none of it may reach a log line. */
const PATIENT_VALUES = ['KERMANY-PNEUMONIA'];

const { lines: logged, logger: capture } = captureLogs();

let orthanc: OrthancServer;
let bed: WorkerTestBed;
let store: S3ObjectStore;
let config: AppConfig;
let app: INestApplicationContext;
let queue: Queue;
let studyUid: string;

/** A study's SR and heatmap Secondary Capture, made from a real DICOM film as finalise makes them,
 * stored under results/<studyId>/ in the bucket. */
async function dicomOutputs(studyId: string) {
  const source = readDicomSource(await readFile(SOURCE))!;
  studyUid = source.studyInstanceUid;
  const producer = { model: 'pneumoscreen-pneumonia', version: 'v-test' };
  const sc = secondaryCapture({ width: 16, height: 16, data: Buffer.alloc(16 * 16 * 3, 90) }, source, producer, new Date());
  const heatmap = {
    studyInstanceUid: source.studyInstanceUid,
    seriesInstanceUid: sc.seriesInstanceUid,
    sopClassUid: SECONDARY_CAPTURE_SOP_CLASS,
    sopInstanceUid: sc.sopInstanceUid,
  };
  const sr = structuredReport(
    [{ source, trackingId: 'pa', decision: 'PNEUMONIA', probability: 0.9, threshold: 0.5, heatmap }],
    producer,
    new Date(),
  );
  const keys = [`results/${studyId}.sr.dcm`, `results/${studyId}/pa.heatmap.dcm`];
  await store.putObject(BUCKET, keys[0]!, sr.file, 'application/dicom');
  await store.putObject(BUCKET, keys[1]!, sc.file, 'application/dicom');
  return { keys, files: [sr.file, sc.file], uids: [sr.sopInstanceUid, sc.sopInstanceUid].sort() };
}

async function push(studyId: string, keys: string[]): Promise<string> {
  const completedAt = new Date().toISOString();
  await new BullPacsOutbox(queue, config.pacs!.maxAttempts).enqueue(
    { studyId, bucket: BUCKET, keys, statusKey: pacsStatusKey(studyId) },
    completedAt,
  );
  return `pacs-${studyId}-${Date.parse(completedAt)}`;
}

async function settled(jobId: string, timeoutMs = 20_000): Promise<{ state: string; job: Job }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(jobId);
    const job = state === 'completed' || state === 'failed' ? await Job.fromId(queue, jobId) : undefined;
    if (job) return { state, job };
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function status(studyId: string): Promise<PacsDeliveryStatus> {
  const { body } = await store.getObject(BUCKET, pacsStatusKey(studyId), { maxBytes: 1 << 20 });
  return PacsDeliveryStatus.parse(JSON.parse(body.toString('utf8')));
}

/** The SOP Instance UIDs Orthanc holds for the study, by QIDO-RS. */
async function instancesInOrthanc(uid: string): Promise<string[]> {
  const found = (await orthanc.get(`/dicom-web/studies/${uid}/instances`)) as Array<Record<string, { Value: string[] }>>;
  for (const i of found) assert.equal(i['0020000D']!.Value[0], uid);
  return found.map((i) => i['00080018']!.Value[0]!).sort();
}

before(async () => {
  orthanc = await startOrthanc();
  bed = await startWorkerTestBed('pstest-pacs', [BUCKET]);
  store = bed.store;
  config = bed.config({
    DICOMWEB_STOW_URL: orthanc.dicomWebUrl,
    DICOMWEB_AUTHORIZATION: orthanc.authorization,
    DICOMWEB_TIMEOUT_MS: '2000',
    DICOMWEB_MAX_ATTEMPTS: '5',
  });
  @Module({ imports: [AdaptersModule.register(config), PacsPoolModule] })
  class PacsWorker {}
  app = await NestFactory.createApplicationContext(PacsWorker, { logger: capture });
  queue = new Queue(QueueName.pacs, { connection: redisOptionsFromUrl(config.redis.url), prefix: config.redis.prefix });
});

after(async () => {
  const workerRedis = app?.get<Redis>(REDIS);
  await app?.close();
  await workerRedis?.quit();
  await queue?.close();
  await bed?.close();
  await orthanc?.close();
  const secret = config.pacs!.authorization!;
  const leaked = logged.filter((l) => [...PATIENT_VALUES, secret, secret.slice(6)].some((v) => l.includes(v)));
  assert.deepEqual(leaked, [], 'no log line names a patient or the PACS credentials');
});

test('the SR and Secondary Capture of a real study arrive in Orthanc by STOW-RS, in the source study', async () => {
  const { keys, uids } = await dicomOutputs('st-ok');
  const { state, job } = await settled(await push('st-ok', keys));
  assert.equal(state, 'completed', job.failedReason);
  assert.equal(job.attemptsMade, 1);
  const s = await status('st-ok');
  assert.deepEqual(
    { status: s.status, httpStatus: s.httpStatus, sent: s.sent, stored: s.stored, attempts: s.attempts },
    { status: 'delivered', httpStatus: 200, sent: 2, stored: 2, attempts: 1 },
  );
  assert.deepEqual(await instancesInOrthanc(studyUid), uids);
  // Orthanc's own index agrees: the study it filed them under has the source's Study Instance UID.
  const studies = (await orthanc.get('/studies?expand')) as Array<{ MainDicomTags: { StudyInstanceUID: string } }>;
  assert.ok(studies.some((st) => st.MainDicomTags.StudyInstanceUID === studyUid));
});

test('a PACS that is down is tried again with backoff, and the push lands once it is back', async () => {
  const { keys, uids } = await dicomOutputs('st-down');
  await orthanc.stop();
  const jobId = await push('st-down', keys);
  const deadline = Date.now() + 10_000;
  while (((await Job.fromId(queue, jobId))?.attemptsMade ?? 0) < 1) {
    assert.ok(Date.now() < deadline, 'the first attempt was made');
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(await queue.getJobState(jobId), 'delayed', 'a refused connection is retried, later');
  await orthanc.start();
  const { state, job } = await settled(jobId);
  assert.equal(state, 'completed', job.failedReason);
  assert.ok(job.attemptsMade >= 2);
  const s = await status('st-down');
  assert.equal(s.status, 'delivered');
  assert.equal(s.attempts, job.attemptsMade);
  assert.deepEqual(
    (await instancesInOrthanc(studyUid)).filter((u) => uids.includes(u)),
    uids,
  );
  assert.ok(logged.some((l) => /PACS push of study st-down: attempt 1 failed \(network error ECONNREFUSED\)/.test(l)));
});

test('a 4xx from the PACS (credentials it no longer accepts) fails the push at once, reported beside the result', async () => {
  const { keys } = await dicomOutputs('st-401');
  await orthanc.stop();
  await orthanc.start('another-password');
  try {
    const { state, job } = await settled(await push('st-401', keys));
    assert.equal(state, 'failed');
    assert.equal(job.attemptsMade, 1, 'not retried');
    const s = await status('st-401');
    assert.deepEqual(
      { status: s.status, httpStatus: s.httpStatus, reason: s.reason },
      { status: 'failed', httpStatus: 401, reason: 'HTTP 401' },
    );
  } finally {
    await orthanc.stop();
    await orthanc.start('orthanc-test-password');
  }
});

test('a 409 names the instances Orthanc refused and why (its Failed SOP Sequence)', async () => {
  const { files, uids } = await dicomOutputs('st-409');
  // STOW-RS to one study (`/studies/{uid}`) refuses instances of any other.
  const publisher = new StowRsPublisher({ ...config.pacs!, stowUrl: `${orthanc.dicomWebUrl}/studies/1.2.3.4` });
  const outcome = await publisher.publish(files);
  assert.equal(outcome.kind, 'refused');
  assert.equal(outcome.httpStatus, 409);
  if (outcome.kind !== 'refused') return;
  assert.deepEqual(outcome.failed.map((f) => f.sopInstanceUid).sort(), uids);
  assert.ok(outcome.failed.every((f) => typeof f.failureReason === 'number'));
  assert.match(outcome.reason, /^HTTP 409; 2 of 2 instance\(s\) failed \(reason 0x[0-9A-F]{4}\)$/);
});
