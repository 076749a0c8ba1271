import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { readManifest, resolveModelDir } from '@pneumoscreen/model';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { benchDecode, listXrays } from '../bench/decode';
import { endToEndSection } from '../bench/end-to-end-section';
import { benchableEngines, benchEngines, randomVgg16Version, type EngineResult } from '../bench/engines';
import { describeMachine } from '../bench/machine';
import { cpuCeilingVsRaw, endToEndVsRaw, formatReport, type BenchReport } from '../bench/report';
import { writeNewResult } from '../bench/result-file';
import { benchSoak, SOAK_HEADER } from '../bench/soak';

const REPO = resolve(__dirname, '../../../..');
const ORIGINALS = resolve(REPO, '../shared/data/kermany-original-sample');
const TRAIN_224 = resolve(REPO, '../shared/data/kermany224-train');

const SECTIONS = ['decode', 'engines', 'e2e', 'soak'] as const;
type Section = (typeof SECTIONS)[number];

/**
 * `pneumoscreen bench [--json] [--quick] [--images N] [--only SECTIONS] [--workers LIST]
 * [--ingests N] [--s3-servers N] [--repeat N]`: decode
 * throughput on original-size X-rays, raw model throughput per engine, backbone and batch size,
 * the whole pipeline end to end (on the 224-px training images; with each worker count of
 * `--workers`, default 1,2; its pipeline rows spread over `--ingests` ingest and `--s3-servers`
 * S3 server processes, default 1 each) against the naive baseline, and a memory soak: RSS and tensor count
 * over 10,000 classified images. `--repeat N` runs every end-to-end case N times in turn and keeps
 * each case's median run. `--only` runs some of decode, engines, e2e and soak;
 * `--backbone mobilenet|vgg16` and `--engine NAME` narrow the engines section. Writes
 * bench/results/<date>[-quick][-<sections>][-N].json, the sections named when not all ran and N
 * counting up from 2 where that day's file exists.
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
      only: { type: 'string', default: SECTIONS.join(',') },
      workers: { type: 'string', default: '1,2' },
      ingests: { type: 'string', default: '1' },
      's3-servers': { type: 'string', default: '1' },
      repeat: { type: 'string', default: '1' },
      backbone: { type: 'string' },
      engine: { type: 'string' },
    },
  });
  const only = parseList(values.only, '--only', (s) => (SECTIONS as readonly string[]).includes(s), SECTIONS.join(', ')) as Section[];
  const spread = { ingests: processCount(values.ingests, '--ingests'), s3Servers: processCount(values['s3-servers'], '--s3-servers') };
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) throw new Error(`--repeat takes a number of runs from 1 to 9, not "${values.repeat}"`);
  const workers = parseList(values.workers, '--workers', (s) => /^[1-9]\d?$/.test(s), 'worker counts from 1 to 99').map(Number);
  const images = Number(values.images ?? (values.quick ? 200 : 1000));
  if (!Number.isInteger(images) || images < 4) throw new Error('--images must be an integer of at least 4');
  const say = (l: string) => process.stderr.write(`${l}\n`);
  const config = loadConfig();
  const versionDir = await resolveModelDir(config.worker.modelDir);
  const manifest = await readManifest(versionDir);
  const report: BenchReport = { date: new Date().toISOString(), machine: describeMachine(), model: manifest.version };

  if (only.includes('decode')) {
    say(`decode + preprocess (original-size X-rays, ${process.env.UV_THREADPOOL_SIZE} decode threads)`);
    report.decode = await benchDecode(values.originals, manifest.preprocessing, values.quick ? 60 : 320);
    say(`  ${report.decode.imagesPerSecond} images/s at ${report.decode.megapixelsPerImage} MP`);
  }
  if (only.includes('engines')) Object.assign(report, await engineSection(values, versionDir, manifest, say));
  if (only.includes('e2e')) Object.assign(report, await endToEndSection(values.data, images, workers, spread, repeat, say));
  const vsRaw = endToEndVsRaw(report);
  if (vsRaw !== undefined) report.endToEndVsRaw = vsRaw;
  const ceiling = cpuCeilingVsRaw(report);
  if (ceiling !== undefined) report.cpuCeilingVsRaw = ceiling;
  if (only.includes('soak')) {
    const soakCounts = values.quick ? { images: 1000, wasmImages: 300 } : { images: 10_000, wasmImages: 1000 };
    say(`memory soak (${soakCounts.images} images from ${values.data}, batches of 32; then ${soakCounts.wasmImages} on tfjs-wasm)`);
    say(`  ${SOAK_HEADER}`);
    report.soak = await benchSoak(await listXrays(values.data), versionDir, manifest, soakCounts, say);
  }

  const dir = join(REPO, 'bench/results');
  await mkdir(dir, { recursive: true });
  const sections = only.length === SECTIONS.length ? '' : `-${only.join('-')}`;
  const file = await writeNewResult(dir, `${report.date.slice(0, 10)}${values.quick ? '-quick' : ''}${sections}`, JSON.stringify(report, null, 2) + '\n');
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
  else process.stdout.write(formatReport(report) + `\nwritten to ${file}\n`);
  return 0;
}

function parseList(raw: string, flag: string, ok: (s: string) => boolean, expected: string): string[] {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !ok(s));
  if (items.length === 0 || bad.length) throw new Error(`${flag} takes a comma-separated list of ${expected}, not "${raw}"`);
  return [...new Set(items)];
}

async function engineSection(
  values: { quick: boolean; backbone?: string; engine?: string; data: string },
  versionDir: string,
  manifest: ModelManifest,
  say: (l: string) => void,
): Promise<{ engines: EngineResult[]; skippedEngines: Record<string, string> }> {
  const backbones = values.backbone ? [values.backbone] : ['mobilenet', 'vgg16'];
  if (backbones.some((b) => b !== 'mobilenet' && b !== 'vgg16')) throw new Error(`--backbone must be mobilenet or vgg16, not "${values.backbone}"`);
  const choices = benchableEngines(values.engine);
  say('inference (random inputs; VGG16 with random weights)');
  const vgg = backbones.includes('vgg16') ? await randomVgg16Version(manifest, choices.includes('onnxruntime-int8') ? await listXrays(values.data) : []) : undefined;
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

function processCount(raw: string | undefined, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`${flag} takes a process count from 1 to 64, not "${raw}"`);
  return n;
}
