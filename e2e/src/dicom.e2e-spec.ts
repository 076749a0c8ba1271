import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDicom } from 'dicom-parser';
import { Redis } from 'ioredis';
import { PATIENT, writeDicom, xray } from '@pneumoscreen/imaging/testing';
import { StudyWebhookEvent, uidStudyId, type StudyResult } from '@pneumoscreen/contracts';
import { repoRoot } from '@pneumoscreen/testing';
import { REDIS_URL, startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-d';
const fixtures = join(repoRoot(), 'libs/imaging/fixtures/dicom');
const PATIENT_TAGS = { x00100010: 'PatientName', x00100020: 'PatientID', x00100030: 'PatientBirthDate' };

interface DicomFile {
  body: Buffer;
  uid: string;
  /** Its patient attributes, by name. */
  patient: Record<string, string>;
}

/** What the pipeline must never repeat, read with a library other than the one the worker uses
 * to group and refuse. */
function readDicomFile(body: Buffer): DicomFile {
  const ds = parseDicom(body, { untilTag: 'x7fe00010' });
  const patient: Record<string, string> = {};
  for (const [tag, name] of Object.entries(PATIENT_TAGS)) {
    const value = ds.string(tag)?.trim();
    if (value) patient[name] = value;
  }
  return { body, uid: ds.string('x0020000d')!.trim(), patient };
}

const STUDY_ID_KEY = randomBytes(32).toString('hex');
const studyIdOf = (uid: string) => uidStudyId(STUDY_ID_KEY, 'default', createHash('sha256').update(uid).digest('hex').slice(0, 32));

/**
 * DICOM through the whole pipeline, processes and services real as in pipeline.e2e-spec: files
 * grouped by StudyInstanceUID across folders, a folder's manifest readying every study its files
 * joined, the wrapped JPEG scored as its original, a non-chest file refused, no patient data out.
 */
describe('pipeline: DICOM studies', () => {
  let stack: E2eStack;
  const prefix = `{pse2e-dcm-${randomBytes(4).toString('hex')}}`;

  before(async () => {
    // Every line either app can print is searched for patient data.
    stack = await startE2eStack({
      bucket: BUCKET,
      prefix,
      env: { WORKER_MAX_BATCH: '8', LOG_LEVEL: 'verbose', ENGINE: 'onnxruntime-int8', METRICS_PORT: '0', STUDY_ID_KEY },
    });
  });

  after(async () => {
    await stack?.stop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** Uploads and announces an object as AWS would, twice: duplicates must change nothing. */
  async function drop(key: string, body: Buffer | string) {
    const etag = await stack.put(key, body);
    for (let i = 0; i < 2; i++) {
      const res = await stack.notify(key, etag);
      assert.equal(res.status, 200, await res.text());
    }
  }

  test('grouped by StudyInstanceUID, readied by the manifest, scored as the original JPEG (on the int8 engine), non-chest NOT_ASSESSED, no patient data out', async () => {
    const kermany = readDicomFile(await readFile(join(fixtures, 'kermany_train_PNEUMONIA_person1003_virus_1685_jpegbaseline.dcm')));
    const nhsx = readDicomFile(await readFile(join(fixtures, 'nhsx_sample.dcm')));
    const gradient = Uint16Array.from({ length: 64 * 64 }, (_, i) => (i % 64) * 64);
    const chestIn = (uid: string) =>
      readDicomFile(writeDicom(xray({ rows: 64, columns: 64, pixels: gradient, extra: [[0x0020000d, 'UI', uid]] })));
    // The wrapped Kermany image's study, dropped into another folder; and a companion for the
    // non-chest file (a gradient, which the content guard refuses), so that its study has two.
    const generated = chestIn(kermany.uid);
    const companion = chestIn(nhsx.uid);
    const jpeg = await readFile(join(fixtures, 'kermany_train_PNEUMONIA_person1003_virus_1685.jpeg'));

    await drop('incoming/ward-b/generated.dcm', generated.body);
    await drop('incoming/ward-a/kermany.dcm', kermany.body);
    await drop('incoming/ward-a/kermany.jpeg', jpeg);
    await drop('incoming/ward-a/nhsx.dcm', nhsx.body);
    await drop('incoming/ward-a/chest.dcm', companion.body);
    await drop('incoming/ward-a/manifest.json', JSON.stringify({ externalRef: 'ref-ward-a' }));

    await stack.receiver.waitFor((rs) => rs.length >= 3, 180_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(stack.receiver.requests.length, 3, 'one webhook per study: the folder and two StudyInstanceUIDs');
    for (const r of stack.receiver.requests) assert.ok(r.verified, `signature verified by the reference library: ${r.error}`);
    const results = new Map<string, StudyResult>(
      stack.receiver.requests.map((r) => StudyWebhookEvent.parse(JSON.parse(r.body)).data).map((d) => [d.studyId, d]),
    );
    assert.deepEqual([...results.keys()].sort(), ['ward-a', studyIdOf(kermany.uid), studyIdOf(nhsx.uid)].sort());
    for (const r of results.values()) {
      assert.equal(r.status, 'completed', JSON.stringify(r));
      assert.equal(r.externalRef, 'ref-ward-a', 'the manifest of ward-a reached every study its files joined');
    }

    const byUid = results.get(studyIdOf(kermany.uid))!;
    const image = (r: StudyResult, name: string) => r.images.find((i) => i.key.endsWith(`/${name}`))!;
    assert.deepEqual(byUid.images.map((i) => i.key).sort(), ['incoming/ward-a/kermany.dcm', 'incoming/ward-b/generated.dcm']);
    const wrapped = image(byUid, 'kermany.dcm').probability!;
    const original = image(results.get('ward-a')!, 'kermany.jpeg').probability!;
    assert.ok(Math.abs(wrapped - original) <= 1e-3, `wrapped ${wrapped} vs original JPEG ${original}`);
    assert.equal(image(byUid, 'kermany.dcm').engine, 'onnxruntime-cpu-int8', "the worker serves the release's int8 model, as ENGINE asks");
    // A 64x64 gradient with a chest header passes the header check; the content guard, run on
    // the int8 model's own features in the same batch, refuses it.
    const gradientImage = image(byUid, 'generated.dcm');
    assert.deepEqual([gradientImage.decision, gradientImage.probability], ['NOT_ASSESSED', undefined]);
    assert.match(gradientImage.outOfScope?.reason ?? '', /^(not-chest|not-radiograph|unlike-training-data)$/);
    assert.deepEqual([byUid.decision, byUid.outOfScope?.count], ['PNEUMONIA', 1]);

    const withRefusal = results.get(studyIdOf(nhsx.uid))!;
    const refused = image(withRefusal, 'nhsx.dcm');
    assert.deepEqual(
      [refused.decision, refused.outOfScope, refused.probability, refused.error],
      ['NOT_ASSESSED', { reason: 'not-radiograph', score: 1 }, undefined, undefined],
      'modality OT, from the header alone',
    );
    assert.equal(image(withRefusal, 'chest.dcm').decision, 'NOT_ASSESSED');
    assert.deepEqual(
      [withRefusal.status, withRefusal.decision, withRefusal.maxProbability],
      ['completed', 'NOT_ASSESSED', undefined],
      'a study of images all out of scope says so',
    );

    // The worker's Prometheus endpoint counts what it judged, by engine.
    const [, metricsUrl] = await stack.worker.waitForLine(/metrics at (http:\/\/\S+)/);
    const metrics = await (await fetch(metricsUrl!)).text();
    const count = (re: RegExp) => [...metrics.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
    const judged = [...results.values()].flatMap((r) => r.images);
    assert.equal(
      count(/^pneumoscreen_images_classified_total\{engine="onnxruntime-cpu-int8",[^}]*\} (\d+)$/gm),
      judged.filter((i) => i.decision).length,
    );
    assert.equal(
      count(/^pneumoscreen_images_unreadable_total\{engine="onnxruntime-cpu-int8",[^}]*\} (\d+)$/gm),
      judged.filter((i) => i.error).length,
    );
    assert.equal(count(/^pneumoscreen_images_out_of_scope_total\{[^}]*\} (\d+)$/gm), judged.filter((i) => i.outOfScope).length);
    assert.equal(judged.filter((i) => i.outOfScope).length, 3);

    // Ingest's counts the studies it queued.
    const [, ingestMetricsUrl] = await stack.ingest.waitForLine(/metrics at (http:\/\/\S+)/);
    const ingestMetrics = await (await fetch(ingestMetricsUrl!)).text();
    assert.equal(count(/^pneumoscreen_studies_queued_total (\d+)$/gm), 0, 'not in the worker');
    assert.equal(
      [...ingestMetrics.matchAll(/^pneumoscreen_studies_queued_total (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0),
      results.size,
    );

    // Everything that left or was kept by the pipeline: webhooks, results, the API, Redis, logs, metrics.
    const texts = [metrics, ingestMetrics, ...stack.receiver.requests.map((r) => JSON.stringify(r.headers) + r.body)];
    for (const studyId of results.keys()) {
      texts.push((await stack.store.getObject(BUCKET, `results/${studyId}.json`, { maxBytes: 1e6 })).body.toString());
      const view = await fetch(`${stack.ingestUrl}/v1/studies/${studyId}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
      assert.equal(view.status, 200);
      assert.equal(view.headers.get('x-powered-by'), null, 'ingest does not advertise its framework');
      texts.push(await view.text());
    }
    texts.push(await redisText(prefix), ...stack.ingest.output, ...stack.worker.output);
    const everything = texts.join('\n');
    const secrets = [kermany, nhsx, generated, companion].flatMap((f) => [f.uid, ...Object.values(f.patient)]);
    assert.ok(secrets.includes(PATIENT.name) && secrets.includes(PATIENT.birthDate) && secrets.includes(nhsx.patient.PatientName!));
    // nhsx's PatientID is "0", which any number contains; the others are long enough to mean something.
    for (const secret of secrets.filter((s) => s.length >= 4)) assert.ok(!everything.includes(secret), `${secret} left the pipeline`);
  });
});

/** Every value under the deployment's Redis prefix: study records, job payloads and results. */
async function redisText(prefix: string): Promise<string> {
  const redis = new Redis(REDIS_URL);
  try {
    const parts: string[] = [];
    for (const key of await redis.keys(`${prefix}:*`)) {
      const type = await redis.type(key);
      if (type === 'hash') parts.push(...Object.values(await redis.hgetall(key)));
      else if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(...(await redis.smembers(key)));
      else if (type === 'zset') parts.push(...(await redis.zrange(key, 0, -1)));
      parts.push(key);
    }
    return parts.join('\n');
  } finally {
    await redis.quit();
  }
}
