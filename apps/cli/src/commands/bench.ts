import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { readManifest, resolveModelDir } from '@pneumoscreen/model';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { benchDecode, listXrays, type DecodeResult } from '../bench/decode';
import { describeMachine } from '../bench/machine';
import { benchEndToEnd, type EndToEndCase, type EndToEndResult } from '../bench/end-to-end';
import { benchableEngines, benchEngines, randomVgg16Version, type EngineResult } from '../bench/engines';
import { benchSoak, formatSoakRow, SOAK_HEADER, type SoakResult } from '../bench/soak';
import { round } from '../bench/stats';

const REPO = resolve(__dirname, '../../../..');
const ORIGINALS = resolve(REPO, '../shared/data/kermany-original-sample');
const TRAIN_224 = resolve(REPO, '../shared/data/kermany224-train');

/**
 * `pneumoscreen bench [--json] [--quick] [--images N] [--soak-only]`: decode throughput on
 * original-size X-rays, raw model throughput per engine, backbone and batch size, the whole
 * pipeline end to end (on the 224-px training images) against the naive baseline, and a memory
 * soak: RSS and tensor count over 10,000 classified images. `--soak-only` runs just the soak;
 * `--engines-only [--backbone mobilenet|vgg16] [--engine NAME]` just raw inference, of one
 * backbone and engine if named. Writes bench/results/<date>[-quick][-soak|-engines].json.
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
      'engines-only': { type: 'boolean', default: false },
      backbone: { type: 'string' },
      engine: { type: 'string' },
    },
  });
  const soakOnly = values['soak-only'];
  const enginesOnly = values['engines-only'];
  const images = Number(values.images ?? (values.quick ? 200 : 1000));
  if (!Number.isInteger(images) || images < 4) throw new Error('--images must be an integer of at least 4');
  const say = (l: string) => process.stderr.write(`${l}\n`);
  const config = loadConfig();
  const versionDir = await resolveModelDir(config.worker.modelDir);
  const manifest = await readManifest(versionDir);
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    model: manifest.version,
    ...(soakOnly ? {} : enginesOnly ? await engineSection(values, versionDir, manifest, say) : await speedSections(values, images, versionDir, manifest, say)),
  };

  if (!enginesOnly) {
    const soakCounts = values.quick ? { images: 1000, wasmImages: 300 } : { images: 10_000, wasmImages: 1000 };
    say(`memory soak (${soakCounts.images} images from ${values.data}, batches of 32; then ${soakCounts.wasmImages} on tfjs-wasm)`);
    say(`  ${SOAK_HEADER}`);
    report.soak = await benchSoak(await listXrays(values.data), versionDir, manifest, soakCounts, say);
  }

  const dir = join(REPO, 'bench/results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${report.date.slice(0, 10)}${values.quick ? '-quick' : ''}${soakOnly ? '-soak' : enginesOnly ? '-engines' : ''}.json`);
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

  const { engines, skippedEngines } = await engineSection(values, versionDir, manifest, say);

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

async function engineSection(
  values: { quick: boolean; backbone?: string; engine?: string },
  versionDir: string,
  manifest: ModelManifest,
  say: (l: string) => void,
): Promise<{ engines: EngineResult[]; skippedEngines: Record<string, string> }> {
  const backbones = values.backbone ? [values.backbone] : ['mobilenet', 'vgg16'];
  if (backbones.some((b) => b !== 'mobilenet' && b !== 'vgg16')) throw new Error(`--backbone must be mobilenet or vgg16, not "${values.backbone}"`);
  const choices = benchableEngines(values.engine);
  say('inference (random inputs; VGG16 with random weights)');
  const vgg = backbones.includes('vgg16') ? await randomVgg16Version(manifest) : undefined;
  try {
    // VGG16 on tfjs-wasm runs at about one image a second: one timed call per size is plenty.
    const iterations = (backbone: string, engine: string, batch: number) =>
      backbone === 'vgg16' && engine === 'tfjs-wasm' ? 1 : Math.max(2, Math.ceil((values.quick ? 32 : 128) / batch));
    const models = [...(backbones.includes('mobilenet') ? [{ backbone: 'mobilenet', versionDir, manifest }] : []), ...(vgg ? [vgg] : [])];
    const { results, skipped } = await benchEngines(models, [1, 8, 32], iterations, say, choices);
    return { engines: results, skippedEngines: skipped };
  } finally {
    await vgg?.remove();
  }
}

function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  if (r.decode) lines.push(`decode + preprocess: ${r.decode.imagesPerSecond} images/s`, '');
  if (r.engines) {
    lines.push('engine        backbone           batch  images/s  ms/batch');
    for (const e of r.engines) lines.push(`${e.engine.padEnd(13)} ${e.backbone.padEnd(18)} ${String(e.batch).padStart(5)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.msPerBatch).padStart(8)}`);
  }
  if (r.endToEnd) {
    lines.push('', 'end to end                workers  images/s   p50 s   p95 s   p99 s');
    for (const e of r.endToEnd) lines.push(`${e.label.padEnd(25)} ${String(e.workers).padStart(7)}  ${String(e.imagesPerSecond).padStart(8)}  ${String(e.p50).padStart(6)}  ${String(e.p95).padStart(6)}  ${String(e.p99).padStart(6)}`);
    lines.push('', `pipeline vs naive baseline: ${r.speedupVsBaseline}x; batching on vs off: ${r.speedupVsBatchingOff}x`, '');
  }
  if (r.soak) lines.push(SOAK_HEADER, ...r.soak.map(formatSoakRow));
  return lines.join('\n');
}
