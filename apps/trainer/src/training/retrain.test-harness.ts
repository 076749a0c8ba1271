import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import { FeedbackRecord, type Decision } from '@pneumoscreen/contracts';
import { FeedbackStore, isHeldBack } from '@pneumoscreen/feedback';
import { ModelRegistry } from '@pneumoscreen/registry';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { copyRelease, repoRoot, sharedDir, startS3Server, type S3Server } from '@pneumoscreen/testing';

export const BUCKET = 'pneumoscreen';
const KERMANY = () => path.join(sharedDir(), 'data/kermany224-train');
/** Base images per class; the next ones become feedback. */
const BASE_PER_CLASS = 10;
const HOLDOUT = 0.5;

export interface RetrainWorld {
  server: S3Server;
  config: AppConfig;
  store: S3ObjectStore;
  registry: ModelRegistry;
  feedback: FeedbackStore;
  production: string;
  /** The newest label's receive time. */
  lastLabelAt: string;
  labelledImages: number;
  close(): Promise<void>;
}

/** Base data: the first images of each class of the Kermany training set, linked. */
async function baseData(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'retrain-data-'));
  for (const label of ['NORMAL', 'PNEUMONIA']) {
    await mkdir(path.join(root, label));
    for (const name of (await readdir(path.join(KERMANY(), label))).sort().slice(0, BASE_PER_CLASS)) {
      await symlink(path.join(KERMANY(), label, name), path.join(root, label, name));
    }
  }
  return root;
}

/** A study id on the wanted side of the held-back hash. */
function studyId(prefix: string, heldBack: boolean): string {
  for (let i = 0; ; i++) if (isHeldBack(BUCKET, `${prefix}-${i}`, HOLDOUT) === heldBack) return `${prefix}-${i}`;
}

/**
 * s3rver with the committed release published and promoted to production, and readers' labels
 * for images uploaded as studies: two training studies (one image relabelled, so disputed; one
 * label for an object overwritten since, one for an object that is gone) and two held-back ones.
 */
export async function startRetrainWorld(env: Record<string, string> = {}): Promise<RetrainWorld> {
  const server = await startS3Server({ buckets: [BUCKET] });
  const config = loadConfig({
    ...server.env,
    S3_BUCKET: BUCKET,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `pstest-retrain-${randomUUID()}`,
    MODEL_REGISTRY: `s3://${BUCKET}/models/`,
    TRAINING_DATA_DIR: await baseData(),
    TRAINING_WORK_DIR: await mkdtemp(path.join(tmpdir(), 'retrain-work-')),
    TRAINING_BASE_MODEL_DIR: path.join(repoRoot(), 'models/base/mobilenet_v1_0.75_224'),
    TRAINING_VAL_FRACTION: '0.3',
    TRAINING_SEED: '7',
    FEEDBACK_HOLDOUT_FRACTION: String(HOLDOUT),
    ...env,
  });
  const store = new S3ObjectStore({ ...config.s3 });
  const registry = new ModelRegistry({ store, bucket: BUCKET, prefix: 'models/', name: config.models.name });
  const release = await copyRelease({ version: 'production-1' });
  await registry.publish(release.dir);
  await registry.setChannel('production', release.version);

  const feedback = new FeedbackStore(store, BUCKET, config.feedback.prefix);
  const spare = async (label: Decision, from: number, count: number) =>
    (await readdir(path.join(KERMANY(), label)))
      .sort()
      .slice(BASE_PER_CLASS + from, BASE_PER_CLASS + from + count)
      .map((n) => path.join(KERMANY(), label, n));
  const upload = async (study: string, files: string[]) =>
    Promise.all(
      files.map(async (f) => ({
        key: `incoming/${study}/${path.basename(f)}`,
        etag: (await store.putObject(BUCKET, `incoming/${study}/${path.basename(f)}`, await readFile(f))).etag,
      })),
    );
  let minute = 0;
  const label = async (study: string, images: Array<{ key: string; etag: string }>, decision: Decision) => {
    const receivedAt = new Date(Date.UTC(2026, 10, 20, 9, minute++)).toISOString();
    await feedback.append(
      FeedbackRecord.parse({
        feedbackId: randomUUID(),
        studyId: study,
        bucket: BUCKET,
        scope: 'study',
        images,
        label: decision,
        readerId: 'reader-1',
        receivedAt,
        recordedAt: receivedAt,
      }),
    );
    return receivedAt;
  };

  const normalStudy = studyId('train-normal', false);
  const normal = await upload(normalStudy, await spare('NORMAL', 0, 2));
  await label(normalStudy, normal.slice(0, 1), 'PNEUMONIA');
  await label(normalStudy, normal, 'NORMAL');
  const pneumoniaStudy = studyId('train-pneumonia', false);
  const pneumonia = await upload(pneumoniaStudy, await spare('PNEUMONIA', 0, 3));
  await store.putObject(BUCKET, pneumonia[2]!.key, Buffer.from('overwritten since it was labelled'));
  const gone = { key: `incoming/${pneumoniaStudy}/gone.jpeg`, etag: '0123456789abcdef0123456789abcdef' };
  await label(pneumoniaStudy, [...pneumonia, gone], 'PNEUMONIA');
  const heldNormal = studyId('held-normal', true);
  await label(heldNormal, await upload(heldNormal, await spare('NORMAL', 2, 1)), 'NORMAL');
  const heldPneumonia = studyId('held-pneumonia', true);
  const lastLabelAt = await label(heldPneumonia, await upload(heldPneumonia, await spare('PNEUMONIA', 3, 1)), 'PNEUMONIA');

  return {
    server,
    config,
    store,
    registry,
    feedback,
    production: release.version,
    lastLabelAt,
    labelledImages: 2 + 4 + 1 + 1,
    async close() {
      store.destroy();
      await server.stop();
    },
  };
}
