import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { readManifest, resolveModelDir } from '@pneumoscreen/model';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { benchDecode, listXrays, type DecodeResult } from '../bench/decode';
import { benchEndToEnd, type EndToEndCase, type EndToEndResult } from '../bench/end-to-end';
import { benchEngines, randomVgg16Version, type EngineResult } from '../bench/engines';
import { benchSoak, formatSoakRow, SOAK_HEADER, type SoakResult } from '../bench/soak';
import { round } from '../bench/stats';

const REPO = resolve(__dirname, '../../../..');
const ORIGINALS = resolve(REPO, '../shared/data/kermany-original-sample');
const TRAIN_224 = resolve(REPO, '../shared/data/kermany224-train');

/**
 * `pneumoscreen bench [--json] [--quick] [--images N] [--soak-only]`: decode throughput on
 * original-size X-rays, raw model throughput per engine, backbone and batch size, the whole
 * pipeline end to end (on the 224-px training images) against the naive baseline, and a memory
 * soak: RSS and tensor count over 10,000 classified images. `--soak-only` runs just the soak.
 * Writes bench/results/<date>[-quick][-soak].json.
 */
export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      images: { type: 'string' },
      originals: { type: 'string', default: ORIGINALS },
      data: { type: 'string', default: TRAIN_224 },
      'soak-only': { type: 'boolean', default: false },
    },
  });
  const soakOnly = values['soak-only'];
  const images = Number(values.images ?? (values.quick ? 200 : 1000));
  if (!Number.isInteger(images) || images < 4) throw new Error('--images must be an integer of at least 4');
  const say = (l: string) => process.stderr.write(`${l}\n`);
  const config = loadConfig();
  const versionDir = await resolveModelDir(config.worker.modelDir);
  const manifest = await readManifest(versionDir);
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    model: manifest.version,
    ...(soakOnly ? {} : await speedSections(values, images, versionDir, manifest, say)),
  };

  const soakCounts = values.quick ? { images: 1000, wasmImages: 300 } : { images: 10_000, wasmImages: 1000 };
  say(`memory soak (${soakCounts.images} images from ${values.data}, batches of 32; then ${soakCounts.wasmImages} on tfjs-wasm)`);
  say(`  ${SOAK_HEADER}`);
  report.soak = await benchSoak(await listXrays(values.data), versionDir, manifest, soakCounts, say);

  const dir = join(REPO, 'bench/results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${report.date.slice(0, 10)}${values.quick ? '-quick' : ''}${soakOnly ? '-soak' : ''}.json`);
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
  else process.stdout.write(formatReport(report) + `\nwritten to ${file}\n`);
  return 0;
}

interface SpeedSections {
  decode: DecodeResult;
  engines: EngineResult[];
  skippedEngines: Record<string, string>;
  endToEnd: EndToEndResult[];
  speedupVsBaseline: number;
  speedupVsBatchingOff: number;
}

type BenchReport = { date: string; machine: object; model: string; soak?: SoakResult[] } & Partial<SpeedSections>;

async function speedSections(
  values: { quick: boolean; originals: string; data: string },
  images: number,
  versionDir: string,
  manifest: ModelManifest,
  say: (l: string) => void,
): Promise<SpeedSections> {
  say('decode + preprocess (original-size X-rays)');
  const decode = await benchDecode(values.originals, manifest.preprocessing, values.quick ? 60 : 320);
  say(`  ${decode.imagesPerSecond} images/s at ${decode.megapixelsPerImage} MP`);

  say('inference (random inputs; VGG16 with random weights)');
  const vgg = await randomVgg16Version(manifest);
  let engines: EngineResult[];
  let skippedEngines: Record<string, string>;
  try {
    // VGG16 on tfjs-wasm runs at about one image a second: one timed call per size is plenty.
    const iterations = (backbone: string, engine: string, batch: number) =>
      backbone === 'vgg16' && engine === 'tfjs-wasm' ? 1 : Math.max(2, Math.ceil((values.quick ? 32 : 128) / batch));
    ({ results: engines, skipped: skippedEngines } = await benchEngines(
      [{ backbone: 'mobilenet', versionDir, manifest }, vgg],
      [1, 8, 32],
      iterations,
      say,
    ));
  } finally {
    await vgg.remove();
  }

  say(`end to end (${images} images from ${values.data}, studies of 4; S3 server, Redis, ingest and workers as processes)`);
  const cases: EndToEndCase[] = [
    { label: 'pipeline, 1 worker', workers: 1, batching: true, overrides: {} },
    { label: 'pipeline, 2 workers', workers: 2, batching: true, overrides: {} },
    { label: 'batching off, 1 worker', workers: 1, batching: false, overrides: { WORKER_MAX_BATCH: '1', WORKER_CONCURRENCY: '4' } },
    { label: 'naive baseline', workers: 1, batching: false, overrides: { WORKER_MAX_BATCH: '1', WORKER_CONCURRENCY: '1', ENGINE: 'tfjs-wasm' } },
  ];
  const endToEnd: EndToEndResult[] = [];
  for (const c of cases) endToEnd.push(await benchEndToEnd(c, values.data, images, say));

  const best = Math.max(...endToEnd.filter((e) => e.batching).map((e) => e.imagesPerSecond));
  const byLabel = (l: string) => endToEnd.find((e) => e.label === l)!.imagesPerSecond;
  return {
    decode,
    engines,
    skippedEngines,
    endToEnd,
    speedupVsBaseline: round(best / byLabel('naive baseline')),
    speedupVsBatchingOff: round(byLabel('pipeline, 1 worker') / byLabel('batching off, 1 worker')),
  };
}

function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  if (r.decode && r.engines && r.endToEnd) {
    lines.push(`decode + preprocess: ${r.decode.imagesPerSecond} images/s`, '', 'engine        backbone           batch  images/s  ms/batch');
    for (const e of r.engines) lines.push(`${e.engine.padEnd(13)} ${e.backbone.padEnd(18)} ${String(e.batch).padStart(5)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.msPerBatch).padStart(8)}`);
    lines.push('', 'end to end                workers  images/s   p50 s   p95 s   p99 s');
    for (const e of r.endToEnd) lines.push(`${e.label.padEnd(25)} ${String(e.workers).padStart(7)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.p50).padStart(6)}  ${String(e.p95).padStart(6)}  ${String(e.p99).padStart(6)}`);
    lines.push('', `pipeline vs naive baseline: ${r.speedupVsBaseline}x; batching on vs off: ${r.speedupVsBatchingOff}x`, '');
  }
  lines.push(SOAK_HEADER, ...(r.soak ?? []).map(formatSoakRow));
  return lines.join('\n');
}
