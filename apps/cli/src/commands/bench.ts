import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { repoPath } from '@pneumoscreen/config';
import { readManifest, resolveModelDir } from '@pneumoscreen/model-format';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { ExitCode, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { oneOf, wholeNumber } from '../program/options';
import { benchDecode, listXrays } from '../bench/decode';
import { endToEndSection } from '../bench/end-to-end-section';
import { benchableEngines, benchEngines, randomVgg16Version, type EngineResult } from '../bench/engines';
import { describeMachine } from '../bench/machine';
import { cpuCeilingVsRaw, endToEndVsRaw, formatReport, type BenchReport } from '../bench/report';
import { writeNewResult } from '../bench/result-file';
import { benchSoak, SOAK_HEADER } from '../bench/soak';
import { benchHeatmaps } from '../bench/heatmaps';

const ORIGINALS = repoPath('../shared/data/kermany-original-sample');
const TRAIN_224 = repoPath('../shared/data/kermany224-train');

const SECTIONS = ['decode', 'engines', 'heatmaps', 'e2e', 'soak'] as const;
type Section = (typeof SECTIONS)[number];

const Options = z.object({
  json: z.boolean().default(false),
  quick: z.boolean().default(false),
  images: wholeNumber(4).optional(),
  originals: z.string(),
  data: z.string(),
  only: commaList((s) => (SECTIONS as readonly string[]).includes(s), SECTIONS.join(', ')).transform((l) => l as Section[]),
  workers: commaList((s) => /^[1-9]\d?$/.test(s), 'worker counts from 1 to 99').transform((l) => l.map(Number)),
  ingests: wholeNumber(1, 64),
  s3Servers: wholeNumber(1, 64),
  repeat: wholeNumber(1, 9),
  backbone: oneOf(['mobilenet', 'vgg16']).optional(),
  engine: z.string().optional(),
});

export function configureBenchCommand(program: Command, io: CliIo): void {
  program
    .command('bench')
    .description('measure decode, inference, end-to-end throughput and memory; writes bench/results/<date>[-quick][-<sections>][-N].json')
    .option('--json', 'print the report as one JSON object')
    .option('--quick', 'fewer images everywhere (default --images 200, a shorter soak)')
    .option('--images <n>', 'images through the end-to-end pipeline (default 1000, 200 with --quick)')
    .option('--originals <dir>', 'original-size X-rays for the decode section', ORIGINALS)
    .option('--data <dir>', '224-px training images for the end-to-end and soak sections', TRAIN_224)
    .option('--only <sections>', 'some of decode, engines, heatmaps, e2e and soak', SECTIONS.join(','))
    .option('--workers <list>', 'worker counts of the end-to-end section', '1,2')
    .option('--ingests <n>', 'ingest processes the end-to-end pipeline rows spread over', '1')
    .option('--s3-servers <n>', 'S3 server processes the end-to-end pipeline rows spread over', '1')
    .option('--repeat <n>', 'runs of every end-to-end case, in turn; the median run is kept', '1')
    .option('--backbone <name>', 'narrow the engines section to mobilenet or vgg16')
    .option('--engine <name>', 'narrow the engines section to one engine')
    .addHelpText(
      'after',
      `
Decode throughput on original-size X-rays, raw model throughput per engine, backbone and batch
size, what a heatmap costs per image (engine run with and without the feature map, Grad-CAM,
overlay, PNG encode) on real X-rays, the whole pipeline end to end (with each worker count of --workers) against the naive
baseline, and a memory soak: RSS and tensor count over 10,000 classified images. The file name
names the sections when not all ran, and N counts up from 2 where that day's file exists.
`,
    )
    .action(commandAction(io, Options, bench));
}

async function bench(values: z.output<typeof Options>, io: CliIo): Promise<number> {
  const { only, workers, repeat } = values;
  const spread = { ingests: values.ingests, s3Servers: values.s3Servers };
  const images = values.images ?? (values.quick ? 200 : 1000);
  const say = (l: string) => io.err(`${l}\n`);
  const config = io.config();
  const versionDir = await resolveModelDir(config.worker.modelDir);
  const manifest = await readManifest(versionDir);
  const report: BenchReport = { date: new Date().toISOString(), machine: describeMachine(), model: manifest.version };

  if (only.includes('decode')) {
    say(`decode + preprocess (original-size X-rays, ${process.env.UV_THREADPOOL_SIZE} decode threads)`);
    report.decode = await benchDecode(values.originals, manifest.preprocessing, values.quick ? 60 : 320);
    say(`  ${report.decode.imagesPerSecond} images/s at ${report.decode.megapixelsPerImage} MP`);
  }
  if (only.includes('engines')) Object.assign(report, await engineSection(values, versionDir, manifest, say));
  if (only.includes('heatmaps')) {
    const n = values.quick ? 16 : 40;
    say(`heatmaps (${n} X-rays from ${values.data}, release model)`);
    report.heatmaps = await benchHeatmaps(values.data, versionDir, manifest, benchableEngines(values.engine), n, values.quick ? 2 : 8, say);
  }
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

  const dir = repoPath('bench/results');
  await mkdir(dir, { recursive: true });
  const sections = only.length === SECTIONS.length ? '' : `-${only.join('-')}`;
  const file = await writeNewResult(
    dir,
    `${report.date.slice(0, 10)}${values.quick ? '-quick' : ''}${sections}`,
    JSON.stringify(report, null, 2) + '\n',
  );
  if (values.json) io.out(JSON.stringify(report) + '\n');
  else io.out(formatReport(report) + `\nwritten to ${file}\n`);
  return ExitCode.ok;
}

/** A comma-separated list whose items pass `ok`, without repeats. */
function commaList(ok: (s: string) => boolean, expected: string) {
  return z.string().transform((raw, ctx) => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0 || items.some((s) => !ok(s))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `takes a comma-separated list of ${expected}, not "${raw}"` });
      return z.NEVER;
    }
    return [...new Set(items)];
  });
}

async function engineSection(
  values: { quick: boolean; backbone?: string; engine?: string; data: string },
  versionDir: string,
  manifest: ModelManifest,
  say: (l: string) => void,
): Promise<{ engines: EngineResult[]; skippedEngines: Record<string, string> }> {
  const backbones = values.backbone ? [values.backbone] : ['mobilenet', 'vgg16'];
  const choices = benchableEngines(values.engine);
  say('inference (random inputs; VGG16 with random weights)');
  const vgg = backbones.includes('vgg16')
    ? await randomVgg16Version(manifest, choices.includes('onnxruntime-int8') ? await listXrays(values.data) : [])
    : undefined;
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
