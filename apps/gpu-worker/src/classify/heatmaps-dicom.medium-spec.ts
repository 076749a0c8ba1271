import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { AppConfig } from '@pneumoscreen/config';
import { FatalSignal } from '@pneumoscreen/queue';
import { StudyResult, type ImageResult } from '@pneumoscreen/contracts';
import type { S3ObjectStore } from '@pneumoscreen/storage';
import { RedisStudyRepository, systemClock } from '@pneumoscreen/studies';
import { copyRelease, repoRoot, sharedDir } from '@pneumoscreen/testing';
import { ClassifyImageUseCase } from './classify-image.use-case';
import { ModelRuntime } from './model-runtime';
import { FinaliseStudyUseCase } from '../finalise/finalise-study.use-case';
import { siteCalibrationsFor } from '../finalise/site-calibrations';
import { S3StructuredReports } from '../finalise/structured-reports';
import { captureLogs, startWorkerTestBed, type WorkerTestBed } from '../worker.test-harness';

const BUCKET = 'site';
const dicom = (name: string) => path.join(sharedDir(), 'data/dicom', name);
/** Both frames of one source study (the same film, two transfer syntaxes), an adult from another
 * study (refused by its header), and a JPEG. */
const IMAGES = {
  'incoming/st/pa.dcm': dicom('kermany_train_PNEUMONIA_person1003_virus_1685_explicitLE.dcm'),
  'incoming/st/pa-jpeg.dcm': dicom('kermany_train_PNEUMONIA_person1003_virus_1685_jpegbaseline.dcm'),
  'incoming/st/adult.dcm': dicom('nih_cxr_nofinding_DX_nhsx.dcm'),
  'incoming/st/film.jpeg': path.join(repoRoot(), 'samples/studies/demo-normal-a/IM-0117-0001.jpeg'),
};
/** What the sources carry that identifies a patient: none of it may reach a log line. */
const PATIENT_VALUES = ['KERMANY-PNEUMONIA', 'Covid0000'];

const { lines: logged } = captureLogs();

let bed: WorkerTestBed;
let store: S3ObjectStore;
let config: AppConfig;
let runtime: ModelRuntime;
let result: StudyResult;
let work: string;

before(async () => {
  bed = await startWorkerTestBed('psheat', [BUCKET]);
  store = bed.store;
  const release = await copyRelease();
  config = bed.config({ MODEL_DIR: release.dir, ENGINE: 'onnxruntime' });
  runtime = new ModelRuntime(config, store, new FatalSignal());
  runtime.onModuleInit();
  const classify = new ClassifyImageUseCase(config, store, runtime, { record: () => undefined });
  const images: ImageResult[] = [];
  for (const [key, file] of Object.entries(IMAGES)) {
    const { etag } = await store.putObject(BUCKET, key, await readFile(file));
    images.push(await classify.execute({ studyId: 'st', bucket: BUCKET, key, etag }));
  }
  const finalise = new FinaliseStudyUseCase(
    config,
    store,
    new RedisStudyRepository(bed.redis, config.redis.prefix),
    { enqueue: async () => undefined },
    systemClock,
    siteCalibrationsFor(config, store, (m) => assert.fail(m)),
    { idFor: async () => 'unused' },
    new S3StructuredReports(store, config.models.name, config.worker.maxImageBytes),
  );
  await finalise.execute({ studyId: 'st', bucket: BUCKET, imageCount: images.length, submittedAt: new Date().toISOString() }, images);
  result = StudyResult.parse(JSON.parse((await get('results/st.json')).toString('utf8')));
  work = await mkdtemp(path.join(tmpdir(), 'heatmaps-dicom-'));
});
after(async () => {
  await runtime?.beforeApplicationShutdown();
  await bed?.close();
});

async function get(key: string): Promise<Buffer> {
  return (await store.getObject(BUCKET, key, { maxBytes: 64e6 })).body;
}
const image = (key: string) => result.images.find((i) => i.key === key)!;
async function saved(key: string): Promise<string> {
  const file = path.join(work, path.basename(key));
  await writeFile(file, await get(key));
  return file;
}
const dump = (file: string, ...tags: string[]) => execFileSync('dcmdump', [...tags.flatMap((t) => ['+P', t]), file], { encoding: 'utf8' });
const valueOf = (line: string) => /\[(.*)\]/.exec(line)?.[1];

test('every image the model decided has a heatmap PNG beside the results: the film, its map and a colour scale', async () => {
  for (const key of ['incoming/st/pa.dcm', 'incoming/st/pa-jpeg.dcm', 'incoming/st/film.jpeg']) {
    const { heatmap, decision, timing } = image(key);
    assert.match(decision ?? '', /^(NORMAL|PNEUMONIA)$/);
    assert.ok(heatmap && 'key' in heatmap, `${key}: ${JSON.stringify(heatmap)}`);
    assert.match(heatmap.key, /^results\/st\/[A-Za-z0-9._-]+-[0-9a-f]{8}\.heatmap\.png$/);
    const png = sharp(await get(heatmap.key));
    const { width, height, format } = await png.metadata();
    assert.deepEqual([format, width, height], ['png', 224 + 32, 224]);
    // The film is grey; the map colours part of it.
    const { data } = await png.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let coloured = 0;
    for (let i = 0; i < data.length; i += 3)
      if (
        i % ((224 + 32) * 3) < 224 * 3 &&
        Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!) > 20
      )
        coloured++;
    assert.ok(coloured > 2000, `${key}: ${coloured} coloured pixels`);
    assert.equal(typeof timing?.heatmapMs, 'number');
  }
  assert.deepEqual(image('incoming/st/adult.dcm').heatmap, { unavailable: 'not-assessed' });
  assert.equal(image('incoming/st/film.jpeg').dicom, undefined);
  assert.deepEqual(image('incoming/st/adult.dcm').dicom, {});
});

test("a DICOM image's heatmap is also a Secondary Capture in the source's study, with the same pixels as the PNG", async () => {
  const source = IMAGES['incoming/st/pa.dcm'];
  const sc = image('incoming/st/pa.dcm').dicom?.secondaryCapture;
  assert.ok(sc, JSON.stringify(image('incoming/st/pa.dcm')));
  const file = await saved(sc.key);
  const [studyUid, sourceSop, patientId] = ['0020,000d', '0008,0018', '0010,0020'].map((t) => valueOf(dump(source, t)));
  assert.equal(valueOf(dump(file, '0020,000d')), studyUid);
  assert.equal(valueOf(dump(file, '0008,2112.0008,1155')), sourceSop);
  assert.equal(valueOf(dump(file, '0010,0020')), patientId);
  assert.match(dump(file, '0008,0016'), /SecondaryCaptureImageStorage/);
  assert.notEqual(valueOf(dump(file, '0020,000e')), valueOf(dump(source, '0020,000e')), 'a series of its own');

  // DCMTK decodes its pixels to exactly the PNG's.
  execFileSync('dcmj2pnm', ['--write-raw-pnm', file, path.join(work, 'sc.ppm')]);
  const ppm = await readFile(path.join(work, 'sc.ppm'));
  const pixels = ppm.subarray(ppm.length - (224 + 32) * 224 * 3);
  const heatmap = image('incoming/st/pa.dcm').heatmap as { key: string };
  const png = await sharp(await get(heatmap.key))
    .removeAlpha()
    .raw()
    .toBuffer();
  assert.ok(pixels.equals(png), "the SC holds the PNG's pixels");
});

test('a DICOM study gets an SR (TID 1500) that DCMTK reads without complaint, with each decision of its study', async () => {
  assert.deepEqual(result.dicom, { structuredReport: { key: 'results/st.sr.dcm' } });
  const file = await saved('results/st.sr.dcm');
  const run = spawnSync('dsrdump', ['+Pc', file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '', 'no warnings');
  const report = run.stdout;
  assert.match(report, /Comprehensive SR Document/);
  assert.match(report, /CONTAINER:\(126000,DCM,"Imaging Measurement Report"\)/);
  // The adult is of another study: only the two frames of the source study are reported.
  assert.equal(report.match(/"Measurement Group"/g)?.length, 2);
  for (const key of ['incoming/st/pa.dcm', 'incoming/st/pa-jpeg.dcm']) {
    const { probability, threshold } = image(key);
    assert.ok(report.includes(`"${Number(probability!.toPrecision(8))}" (1,UCUM,"no units")`), `${key}'s probability ${probability}`);
    assert.ok(report.includes(`"${Number(threshold!.toPrecision(8))}"`), `threshold ${threshold}`);
  }
  assert.match(report, /"Algorithm Name"\)="pneumoscreen-pneumonia"/);
  assert.ok(
    report.includes(`"Algorithm Version")="${result.modelVersion}"`) || report.includes('"Algorithm Version")="mobilenet_v1_0.75-'),
    'version',
  );
  assert.match(report, /"Finding"\)=\(233604007,SCT,"Pneumonia"\)/);
  assert.match(report, /"Intended-use verdict"\)=\(IN-SCOPE,99PNEUMOSCREEN,"Within the intended use"\)/);
  assert.equal(report.match(/"Class-activation map for pneumonia"\)=\(SC image/g)?.length, 2);

  const source = IMAGES['incoming/st/pa.dcm'];
  assert.equal(valueOf(dump(file, '0020,000d')), valueOf(dump(source, '0020,000d')));
  const series = dump(file, '0020,000e').split('\n').map(valueOf);
  assert.ok(series.includes(valueOf(dump(source, '0020,000e'))), 'the evidence names the source series');
  assert.equal(valueOf(dump(file, '0010,0020')), 'KERMANY-PNEUMONIA');
});

test('no patient attribute reaches the logs', () => {
  assert.ok(logged.length > 0, 'the worker logged');
  for (const value of PATIENT_VALUES) assert.ok(!logged.some((l) => l.includes(value)), `${value} was logged`);
});
