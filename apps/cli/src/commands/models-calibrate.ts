import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { AppConfig } from '@pneumoscreen/config';
import { SiteName, normaliseEtag, type SiteCalibration } from '@pneumoscreen/contracts';
import { FeedbackStore, currentLabels } from '@pneumoscreen/feedback';
import {
  CalibrationDataError,
  DEFAULT_CONFIDENCE,
  DEFAULT_THRESHOLD_METHOD,
  THRESHOLD_METHODS,
  TooFewPositivesError,
  calibrate,
  checkCalibrationSet,
  confusionAt,
  listDataset,
  moreTrialsForWidth,
  proportion,
} from '@pneumoscreen/evaluation';
import { loadModelVersion, plainView, scoreItems } from '@pneumoscreen/inference';
import { ObjectNotFoundError, ObjectTooLargeError, type ObjectStore } from '@pneumoscreen/storage';
import { ExitCode, UsageError, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { fraction, numberText, oneOf } from '../program/options';
import { reportJson, reportTable, type SourceSummary } from './models-calibrate-report';
import { openConfiguredRegistry } from './configured-registry';

const Options = z.object({
  version: z.string().optional(),
  data: z.string().optional(),
  fromFeedback: z.boolean().default(false),
  site: SiteName.optional(),
  targetSensitivity: fraction().optional(),
  method: oneOf(THRESHOLD_METHODS).default(DEFAULT_THRESHOLD_METHOD),
  confidence: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)').optional(),
  allowFewPositives: z.boolean().default(false),
  intervalWidth: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)').optional(),
  json: z.boolean().default(false),
});

/** The interval width `--interval-width` asks images for by default: +-2.5 points. */
const DEFAULT_INTERVAL_WIDTH = 0.05;

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
    .option('--method <m>', `how the threshold is chosen: ${THRESHOLD_METHODS.join(', ')} (default ${DEFAULT_THRESHOLD_METHOD}); see below`)
    .option('--confidence <p>', `the confidence the target must hold with on the site's next images (default ${DEFAULT_CONFIDENCE})`)
    .option('--allow-few-positives', 'calibrate on fewer PNEUMONIA images than the promise needs (warned, and recorded)')
    .option(
      '--interval-width <w>',
      `report how many more images of each class would narrow its 95% interval to this width (default ${DEFAULT_INTERVAL_WIDTH})`,
    )
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText(
      'after',
      `
Chooses VERSION's threshold for the site so that it keeps the target sensitivity on the site's
next images with the confidence asked, records it in the registry beside the version, which itself
never changes, and reports sensitivity and specificity with 95% Wilson intervals. The site's study
results and 'eval VERSION --site S' then decide at it. Methods (all look at the PNEUMONIA scores):
  binormal         lower tolerance limit of a normal fitted to their logits (default)
  order-statistic  the highest PNEUMONIA score that keeps the target with the confidence, assuming
                   nothing about the scores
  bootstrap        the confidence-quantile of the empirical threshold over resamples
  empirical        the highest threshold that keeps the target on these images (about half the
                   time on the next ones)
Needs at least 10 images of each class, and enough PNEUMONIA images to back the promise: 59 for
95% sensitivity with 95% confidence (0.95^59 < 0.05), refused below unless --allow-few-positives.
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

/** `skipped` is filled in while the items are read. */
interface Source extends SourceSummary {
  items: Item[];
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
    const rule = {
      targetSensitivity: request.targetSensitivity ?? config.trainer.targetSensitivity,
      method: request.method,
      confidence: request.confidence ?? DEFAULT_CONFIDENCE,
      allowFewPositives: request.allowFewPositives,
    };
    // Refused before any scoring; calibrate checks again on the images that could be read.
    checkCalibrationSet(
      source.items.map((i) => i.label),
      rule,
    );
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
    const evidence = checkCalibrationSet(labels, rule);
    if (evidence.fewPositives)
      io.err(
        `WARNING: ${evidence.positives} PNEUMONIA images, fewer than the ${evidence.neededPositives} that ${pct(rule.targetSensitivity)} ` +
          `sensitivity with ${pct(rule.confidence)} confidence needs: the site's threshold is fitted anyway (--allow-few-positives) ` +
          `and recorded as fitted on few positives; its promise does not hold with that confidence\n`,
      );
    const calibration = calibrate({
      ...rule,
      scores: kept.map((k) => k.score),
      labels,
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
    const width = request.intervalWidth ?? DEFAULT_INTERVAL_WIDTH;
    const more = (p: SiteCalibration['sensitivity']) => moreTrialsForWidth(p.count, p.of, width);
    const report = {
      calibration,
      versionThreshold: {
        threshold: manifest.threshold,
        sensitivity: proportion(own.tp, own.tp + own.fn),
        specificity: proportion(own.tn, own.tn + own.fp),
      },
      source,
      recordedAt: registry.calibrations.location(version, site.data),
      neededPositives: evidence.neededPositives,
      moreImagesNeeded: { intervalWidth: width, positives: more(calibration.sensitivity), negatives: more(calibration.specificity) },
    };
    io.out(request.json ? JSON.stringify(reportJson(report), null, 2) + '\n' : reportTable(report));
    return ExitCode.ok;
  } catch (e) {
    if (!(e instanceof CalibrationDataError)) throw e;
    const skipped = Object.entries(source?.skipped ?? {}).map(([why, n]) => `${n} ${why}`);
    const leftOut = skipped.length ? ` (left out: ${skipped.join(', ')})` : '';
    io.err(
      e instanceof TooFewPositivesError
        ? `${e.message}${leftOut}. Label more, lower --target-sensitivity or --confidence, or pass --allow-few-positives to fit anyway\n`
        : `${e.message}${leftOut}: a threshold fitted on so few is not a calibration\n`,
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

const pct = (x: number) => `${+(100 * x).toFixed(2)}%`;
