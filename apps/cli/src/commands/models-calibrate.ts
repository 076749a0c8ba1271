import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { AppConfig } from '@pneumoscreen/config';
import { SiteName, normaliseEtag, type SiteCalibration } from '@pneumoscreen/contracts';
import { FeedbackStore, currentLabels } from '@pneumoscreen/feedback';
import { CalibrationDataError, calibrate, checkClassCounts, confusionAt, listDataset, proportion } from '@pneumoscreen/evaluation';
import { loadModelVersion, plainView, scoreItems } from '@pneumoscreen/inference';
import { ObjectNotFoundError, ObjectTooLargeError, type ObjectStore } from '@pneumoscreen/storage';
import { ExitCode, UsageError, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { fraction } from '../program/options';
import { openConfiguredRegistry } from './configured-registry';
import { textTable } from './text-table';

const Options = z.object({
  version: z.string().optional(),
  data: z.string().optional(),
  fromFeedback: z.boolean().default(false),
  site: SiteName.optional(),
  targetSensitivity: fraction().optional(),
  json: z.boolean().default(false),
});

export function configureModelsCalibrateCommand(models: Command, io: CliIo): void {
  models
    .command('calibrate')
    .description("fit a version's threshold for a site")
    .argument('[version]', 'a published version (default: the one MODEL_CHANNEL, production, points at)')
    .option('--data <dir>', 'labelled images from the site in NORMAL/ and PNEUMONIA/ folders (any depth)')
    .option(
      '--from-feedback',
      "the site's images that readers labelled (FEEDBACK_PREFIX in S3_BUCKET), each fetched again and used only if unchanged since it was labelled",
    )
    .option('--site <s>', 'the site: the bucket its studies arrive in (default S3_BUCKET)')
    .option('--target-sensitivity <t>', 'the sensitivity the threshold must keep (default TARGET_SENSITIVITY, 0.95)')
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText(
      'after',
      `
Fits VERSION's threshold for the site (the highest that keeps the target sensitivity on these
images), records it in the registry beside the version, which itself never changes, and reports
sensitivity and specificity with 95% Wilson intervals. The site's study results and
'eval VERSION --site S' then decide at it. Needs at least 10 images of each class.
`,
    )
    .action(commandAction(io, Options, calibrateCommand));
}

/** One labelled image to score; `read` gives null for one that must be left out. */
interface Item {
  name: string;
  label: 0 | 1;
  read: () => Promise<Buffer | null>;
}

interface Source {
  items: Item[];
  describe: string;
  /** Why images were left out, by reason; filled in while they are read. */
  skipped: Record<string, number>;
}

/** `pneumoscreen models calibrate`. Exit codes: 0 recorded, 1 refused or failed, 2 a usage error. */
async function calibrateCommand(request: z.output<typeof Options>, io: CliIo): Promise<number> {
  if ((request.data === undefined) === !request.fromFeedback)
    throw new UsageError('calibrate needs exactly one of --data DIR and --from-feedback');
  const config = io.config();
  const site = SiteName.safeParse(request.site ?? config.s3.bucket);
  if (!site.success) {
    io.err(`S3_BUCKET "${config.s3.bucket}" is not a site name: it ${site.error.issues[0]!.message}\n`);
    return ExitCode.failed;
  }
  const { registry, s3, close } = openConfiguredRegistry(config);
  let source: Source | undefined;
  try {
    const version = request.version ?? (await registry.getChannel(config.models.channel))?.version;
    if (!version) {
      io.err(`no VERSION given and channel ${config.models.channel} points at no version: name the version to calibrate\n`);
      return ExitCode.failed;
    }
    source = request.data ? await fromFolder(request.data) : await fromFeedback(config, s3(), site.data);
    checkClassCounts(source.items.map((i) => i.label));
    // The engine the site's workers run: an int8 model's threshold is fitted on its own scores.
    const { manifest, engine } = await loadModelVersion(await registry.download(version, config.models.cacheDir), {
      engine: config.worker.engine,
      threads: config.worker.engineThreads,
    });
    let scores;
    try {
      scores = await scoreItems(engine, source.items, {
        read: (item) => item.read(),
        name: (item) => item.name,
        views: [plainView(manifest)],
        skipUndecodable: !request.data,
        onProgress: (done, total) => request.json || io.err(`\rscored ${done}/${total}`),
      });
    } finally {
      await engine.dispose();
    }
    if (!request.json) io.err('\n');
    const left = scores.length - scores.filter((s) => s !== null).length - Object.values(source.skipped).reduce((a, b) => a + b, 0);
    if (left) source.skipped['not an image'] = left;
    const kept = source.items.flatMap((item, i) => (scores[i] === null ? [] : [{ label: item.label, score: scores[i]! }]));
    const labels = kept.map((k) => k.label);
    const calibration = calibrate({
      scores: kept.map((k) => k.score),
      labels,
      targetSensitivity: request.targetSensitivity ?? config.trainer.targetSensitivity,
      model: registry.name,
      version,
      site: site.data,
      source: request.data ? 'data' : 'feedback',
      fittedAt: new Date(),
    });
    await registry.calibrations.put(calibration);
    const own = confusionAt(
      kept.map((k) => k.score),
      labels,
      manifest.threshold,
    );
    const report: Report = {
      calibration,
      versionThreshold: {
        threshold: manifest.threshold,
        sensitivity: proportion(own.tp, own.tp + own.fn),
        specificity: proportion(own.tn, own.tn + own.fp),
      },
      source,
      recordedAt: registry.calibrations.location(version, site.data),
    };
    io.out(request.json ? JSON.stringify(toJson(report), null, 2) + '\n' : table(report));
    return ExitCode.ok;
  } catch (e) {
    if (!(e instanceof CalibrationDataError)) throw e;
    const skipped = Object.entries(source?.skipped ?? {}).map(([why, n]) => `${n} ${why}`);
    io.err(
      `${e.message}${skipped.length ? ` (left out: ${skipped.join(', ')})` : ''}: a threshold fitted on so few is not a calibration\n`,
    );
    return ExitCode.failed;
  } finally {
    close();
  }
}

async function fromFolder(dir: string): Promise<Source> {
  const images = await listDataset(dir);
  return {
    items: images.map((i) => ({ name: path.relative(dir, i.path), label: i.label, read: () => readFile(i.path) })),
    describe: `images in ${dir}`,
    skipped: {},
  };
}

/** The site's labelled images, each read back only while its bytes are still the ones labelled. */
async function fromFeedback(config: AppConfig, s3: ObjectStore, site: string): Promise<Source> {
  const { images } = currentLabels(await new FeedbackStore(s3, config.s3.bucket, config.feedback.prefix).readAll());
  const skipped: Record<string, number> = {};
  const skip = (why: string) => ((skipped[why] = (skipped[why] ?? 0) + 1), null);
  const items = images
    .filter((i) => i.bucket === site)
    .map((i) => ({
      name: `s3://${i.bucket}/${i.key}`,
      label: i.label === 'PNEUMONIA' ? (1 as const) : (0 as const),
      read: async () => {
        try {
          const o = await s3.getObject(i.bucket, i.key, { maxBytes: config.worker.maxImageBytes });
          return normaliseEtag(o.etag) === i.etag ? o.body : skip('changed since labelled');
        } catch (e) {
          if (e instanceof ObjectNotFoundError) return skip('gone');
          if (e instanceof ObjectTooLargeError) return skip('too large');
          throw e;
        }
      },
    }));
  return { items, describe: `readers' labels of site ${site}`, skipped };
}

interface Report {
  calibration: SiteCalibration;
  versionThreshold: { threshold: number; sensitivity: SiteCalibration['sensitivity']; specificity: SiteCalibration['specificity'] };
  source: Source;
  recordedAt: string;
}

function toJson({ calibration: c, versionThreshold: v, source, recordedAt }: Report) {
  const ci = (p: SiteCalibration['sensitivity']) => ({ low: p.low, high: p.high });
  return {
    model: c.model,
    version: c.version,
    site: c.site,
    source: c.source,
    threshold: c.threshold,
    targetSensitivity: c.targetSensitivity,
    n: c.n,
    positives: c.sensitivity.of,
    negatives: c.specificity.of,
    sensitivity: c.sensitivity.value,
    sensitivityCi: ci(c.sensitivity),
    specificity: c.specificity.value,
    specificityCi: ci(c.specificity),
    auc: c.auc,
    versionThreshold: {
      threshold: v.threshold,
      sensitivity: v.sensitivity.value,
      sensitivityCi: ci(v.sensitivity),
      specificity: v.specificity.value,
      specificityCi: ci(v.specificity),
    },
    skipped: source.skipped,
    fittedAt: c.fittedAt,
    recordedAt,
  };
}

function table({ calibration: c, versionThreshold: v, source, recordedAt }: Report): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const p = (x: SiteCalibration['sensitivity']) => `${pct(x.value)} (${pct(x.low)}-${pct(x.high)}) ${x.count}/${x.of}`;
  const rows = [
    ['', 'site threshold', "version's threshold"],
    // Six places: scores crowd towards 1, where four would print a threshold below 1 as 1.0000.
    ['threshold', c.threshold.toFixed(6), v.threshold.toFixed(6)],
    ['sensitivity', p(c.sensitivity), p(v.sensitivity)],
    ['specificity', p(c.specificity), p(v.specificity)],
  ];
  const skipped = Object.entries(source.skipped).sort(([a], [b]) => a.localeCompare(b));
  return [
    `${c.model}@${c.version} calibrated for site ${c.site} on ${c.n} images (${c.sensitivity.of} PNEUMONIA, ${c.specificity.of} NORMAL), ${source.describe}`,
    ...(skipped.length ? [`left out: ${skipped.map(([why, n]) => `${n} ${why}`).join(', ')}`] : []),
    `target sensitivity ${pct(c.targetSensitivity)}, AUC ${c.auc.toFixed(4)}; 95% Wilson intervals`,
    '',
    ...textTable(rows),
    '',
    `recorded at ${recordedAt}: results of studies from ${c.site}, and eval ${c.version} --site ${c.site}, now decide at ${c.threshold.toFixed(6)}`,
    '',
  ].join('\n');
}
