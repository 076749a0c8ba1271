import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { StudyWebhookEvent } from '@pneumoscreen/contracts';
import { startWebhookReceiver } from '@pneumoscreen/testing';
import { startLocalStack, type LocalStack } from '../demo/local-stack';
import { listXrays } from './decode';
import { cpuMsPerItem, processTreeCpu, type ProcessCpu } from './process-cpu';
import { percentile, round } from './stats';

export interface EndToEndCase {
  label: string;
  workers: number;
  batching: boolean;
  /** Environment for the workers of this case (batch size, prefetch). */
  overrides: NodeJS.ProcessEnv;
  /** Ingest processes, each taking events in turn as behind a load balancer (default 1). */
  ingests?: number;
  /** S3 server processes over one store (default 1). */
  s3Servers?: number;
}

export interface EndToEndResult {
  label: string;
  workers: number;
  /** Present when more than one ran. */
  ingests?: number;
  s3Servers?: number;
  batching: boolean;
  images: number;
  imagesPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  engine?: string;
  /** Share of the run during which the workers' engines were computing a batch (mean over
   * workers): near 1, the pipeline keeps the engine fed and only the engine's own pace limits it. */
  engineBusy?: number;
  /** Images per second of engine time: the engine's pace inside the pipeline, to set beside its
   * raw throughput (lower when the pipeline's other processes share its cores). */
  engineImagesPerSecond?: number;
  /** Mean of the images' `timing.heatmapMs` (overlay, PNG encode and upload); absent when none
   * had a map. */
  heatmapMsPerImage?: number;
  /** CPU time per image of each process of the run while it was timed (Linux only): the bench
   * itself (uploads, events, webhook receiver), the S3 server, ingest and the workers. */
  cpuMsPerImage?: Record<string, number>;
  /** Every run's images/s, in the order they ran, where the case ran more than once (`--repeat`);
   * the row's other fields are those of the median run. */
  runs?: number[];
}

const IMAGES_PER_STUDY = 4;
const WARMUP_STUDIES = 25;

/**
 * Uploads `images` X-rays as studies of four, announcing each object with an S3 event as a bucket
 * would, and times each study from the start of its upload to its signed webhook, after an
 * untimed warm-up of 100 images.
 */
export async function benchEndToEnd(c: EndToEndCase, sourceDir: string, images: number, say: (l: string) => void): Promise<EndToEndResult> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const receiver = await startWebhookReceiver({ secret });
  const env = { ...process.env, WEBHOOK_SECRET: secret, RECONCILE_INTERVAL_MS: '0', STUDY_QUIET_PERIOD_MS: '600000' };
  let stack: LocalStack | undefined;
  let notify: EventSender | undefined;
  try {
    const live = (stack = await startLocalStack({ env, callbackUrl: receiver.url, echo: false, say: () => undefined, workers: c.workers, ingests: c.ingests, s3Servers: c.s3Servers, s3InMemory: true, overrides: c.overrides }));
    const files = await listXrays(sourceDir);
    const studies = Math.ceil(images / IMAGES_PER_STUDY);
    // Read before the clock starts: the scanners' disks are not part of the pipeline.
    const bodies = await Promise.all(files.slice(0, studies * IMAGES_PER_STUDY).map((f) => readFile(f)));
    const events = (notify = eventSender(live));
    const uploadStarted = new Map<string, number>();
    // Several studies upload at once, as many scanners would; each study's clock starts at its first byte.
    const upload = (prefix: string, count: number) => {
      let s = 0;
      return Promise.all(
        Array.from({ length: 8 }, async () => {
          while (s < count) {
            const i = s++;
            const studyId = `${prefix}-${i}`;
            uploadStarted.set(studyId, Date.now());
            for (let j = 0; j < IMAGES_PER_STUDY; j++) await putAndNotify(live, events, `incoming/${studyId}/${j}.jpeg`, bodies[(i * IMAGES_PER_STUDY + j) % bodies.length]);
            await putAndNotify(live, events, `incoming/${studyId}/manifest.json`, Buffer.from('{}'));
          }
        }),
      );
    };
    // Untimed: the first studies pay for JIT compilation, connections and the engine's first runs.
    await upload('warmup', WARMUP_STUDIES);
    await Promise.race([receiver.waitFor((rs) => rs.length >= WARMUP_STUDIES, 600_000), live.crashed]);
    const warm = receiver.requests.length;
    const cpuBefore = processTreeCpu();
    const t0 = Date.now();
    await upload('bench', studies);
    await Promise.race([receiver.waitFor((rs) => rs.length >= warm + studies, 3_600_000), live.crashed]);
    const wall = (Date.now() - t0) / 1000;
    const cpuAfter = processTreeCpu();
    const latencies: number[] = [];
    let engine: string | undefined;
    // Every image of a batch reports the batch's time, so each contributes its share of it.
    let engineSeconds = 0;
    const heatmapMs: number[] = [];
    for (const r of receiver.requests.slice(warm)) {
      const event = StudyWebhookEvent.parse(JSON.parse(r.body));
      latencies.push((r.receivedAt - uploadStarted.get(event.data.studyId)!) / 1000);
      engine ??= event.data.images.find((x) => x.engine)?.engine;
      for (const { timing } of event.data.images) {
        if (timing) engineSeconds += timing.inferenceMs / timing.batchSize / 1000;
        if (timing?.heatmapMs !== undefined) heatmapMs.push(timing.heatmapMs);
      }
    }
    const total = studies * IMAGES_PER_STUDY;
    const cpu = cpuBefore.length ? cpuMsPerItem(cpuBefore, cpuAfter, total, roleOf) : undefined;
    const spread = { ...((c.ingests ?? 1) > 1 ? { ingests: c.ingests } : {}), ...((c.s3Servers ?? 1) > 1 ? { s3Servers: c.s3Servers } : {}) };
    const result: EndToEndResult = { label: c.label, workers: c.workers, ...spread, batching: c.batching, images: total, imagesPerSecond: round(total / wall), p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), engine, ...(engineSeconds > 0 ? { engineBusy: round(engineSeconds / (wall * c.workers)), engineImagesPerSecond: round(total / engineSeconds) } : {}), ...(heatmapMs.length ? { heatmapMsPerImage: round(heatmapMs.reduce((a, b) => a + b, 0) / heatmapMs.length) } : {}), ...(cpu ? { cpuMsPerImage: cpu } : {}) };
    const split = cpu ? `; CPU ms per image: ${Object.entries(cpu).map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
    const busy = result.engineBusy === undefined ? '' : `; engine busy ${Math.round(result.engineBusy * 100)}% at ${result.engineImagesPerSecond} images/s`;
    const maps = result.heatmapMsPerImage === undefined ? '' : `; heatmap ${result.heatmapMsPerImage} ms/image`;
    say(`  ${c.label}: ${result.imagesPerSecond} images/s, p50 ${result.p50} s, p99 ${result.p99} s${busy}${maps}${split}`);
    return result;
  } finally {
    notify?.close();
    await stack?.stop();
    await receiver.close();
  }
}

function roleOf(p: ProcessCpu): string {
  if (p.pid === process.pid) return 'bench';
  if (/gpu-worker/.test(p.command)) return 'workers';
  if (/[/\\]ingest[/\\]/.test(p.command)) return 'ingest';
  if (/s3-server/.test(p.command)) return 's3Server';
  if (/redis-server/.test(p.command)) return 'redis';
  return 'other';
}

interface EventSender {
  send(event: object): Promise<void>;
  close(): void;
}

async function putAndNotify(stack: LocalStack, notify: EventSender, key: string, body: Buffer): Promise<void> {
  const { etag } = await stack.store.putObject(stack.bucket, key, body, key.endsWith('.json') ? 'application/json' : 'image/jpeg');
  await notify.send({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: stack.bucket }, object: { key, eTag: etag, size: body.length } } }] });
}

/** Posts S3 events to ingest over kept-alive connections, to each ingest process in turn as a
 * load balancer would (the images of one study may reach different processes). The bench's own
 * CPU competes with the pipeline it measures, and fetch costs several times what a plain request
 * does. */
function eventSender(stack: LocalStack): EventSender {
  const agent = new Agent({ keepAlive: true });
  const urls = stack.ingestUrls.map((u) => new URL('/v1/s3-events', u));
  let turn = 0;
  const send = (event: object) =>
    new Promise<void>((resolve, reject) => {
      const url = urls[turn++ % urls.length]!;
      const body = JSON.stringify(event);
      const req = request(url, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${stack.s3EventsToken}` },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        res.on('error', reject);
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ingest answered ${res.statusCode} to an S3 event`))));
      });
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}
