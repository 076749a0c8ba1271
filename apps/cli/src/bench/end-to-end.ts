import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { StudyWebhookEvent } from '@pneumoscreen/contracts';
import { startWebhookReceiver } from '@pneumoscreen/testing';
import { startLocalStack, type LocalStack } from '../demo/local-stack';
import { listXrays } from './decode';
import { percentile, round } from './stats';

export interface EndToEndCase {
  label: string;
  workers: number;
  batching: boolean;
  /** Environment for the workers of this case (batch size, prefetch). */
  overrides: NodeJS.ProcessEnv;
}

export interface EndToEndResult {
  label: string;
  workers: number;
  batching: boolean;
  images: number;
  imagesPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  engine?: string;
}

const IMAGES_PER_STUDY = 4;

/**
 * Uploads `images` X-rays as studies of four, announcing each object with an S3 event as a bucket
 * would, and times each study from the start of its upload to its signed webhook.
 */
export async function benchEndToEnd(c: EndToEndCase, sourceDir: string, images: number, say: (l: string) => void): Promise<EndToEndResult> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const receiver = await startWebhookReceiver({ secret });
  const env = { ...process.env, WEBHOOK_SECRET: secret, RECONCILE_INTERVAL_MS: '0', STUDY_QUIET_PERIOD_MS: '600000' };
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({ env, callbackUrl: receiver.url, echo: false, say: () => undefined, workers: c.workers, overrides: c.overrides });
    const files = await listXrays(sourceDir);
    const studies = Math.ceil(images / IMAGES_PER_STUDY);
    const uploadStarted = new Map<string, number>();
    const t0 = Date.now();
    // Several studies upload at once, as many scanners would; each study's clock starts at its first byte.
    let s = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (s < studies) {
          const i = s++;
          const studyId = `bench-${i}`;
          uploadStarted.set(studyId, Date.now());
          const keys = Array.from({ length: IMAGES_PER_STUDY }, (_, j) => ({ key: `incoming/${studyId}/${j}.jpeg`, file: files[(i * IMAGES_PER_STUDY + j) % files.length] }));
          for (const k of keys) await putAndNotify(stack!, k.key, await readFile(k.file));
          await putAndNotify(stack!, `incoming/${studyId}/manifest.json`, Buffer.from('{}'));
        }
      }),
    );
    await receiver.waitFor((rs) => rs.length >= studies, 3_600_000);
    const wall = (Date.now() - t0) / 1000;
    const latencies: number[] = [];
    let engine: string | undefined;
    for (const r of receiver.requests) {
      const event = StudyWebhookEvent.parse(JSON.parse(r.body));
      latencies.push((r.receivedAt - uploadStarted.get(event.data.studyId)!) / 1000);
      engine ??= event.data.images.find((x) => x.engine)?.engine;
    }
    const total = studies * IMAGES_PER_STUDY;
    const result = { label: c.label, workers: c.workers, batching: c.batching, images: total, imagesPerSecond: round(total / wall), p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), engine };
    say(`  ${c.label}: ${result.imagesPerSecond} images/s, p50 ${result.p50} s, p99 ${result.p99} s`);
    return result;
  } finally {
    await stack?.stop();
    await receiver.close();
  }
}

async function putAndNotify(stack: LocalStack, key: string, body: Buffer): Promise<void> {
  const { etag } = await stack.store.putObject(stack.bucket, key, body, key.endsWith('.json') ? 'application/json' : 'image/jpeg');
  const event = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: stack.bucket }, object: { key, eTag: etag, size: body.length } } }] };
  const res = await fetch(`${stack.ingestUrl}/v1/s3-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.s3EventsToken}` },
    body: JSON.stringify(event),
  });
  if (!res.ok) throw new Error(`ingest answered ${res.status} to an S3 event`);
}
