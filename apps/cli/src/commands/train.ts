import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { THRESHOLD_METHODS } from '@pneumoscreen/contracts';
import { repoPath, repoRoot } from '@pneumoscreen/config';
import { BACKBONES, codeVersion, resolveBaseModel, TRAINING_DEFAULTS, trainModel, type Backbone } from '@pneumoscreen/training';
import { openModelRegistry } from '@pneumoscreen/registry';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { ExitCode, UsageError, commandAction } from '../program/action';
import { errOutput, type CliIo } from '../program/io';
import { fraction, numberText, oneOf, wholeNumber } from '../program/options';
import { duration, trainReporter } from './train-progress';
import { metricLines, thresholdMethodLines } from './train-report';

/** apps/cli/dist/commands -> repository root. */

const Options = z.object({
  data: z.string(),
  backbone: oneOf(Object.keys(BACKBONES) as [string, ...string[]]),
  out: z.string().optional(),
  targetSensitivity: fraction(),
  thresholdMethod: oneOf(THRESHOLD_METHODS),
  thresholdConfidence: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)'),
  seed: numberText(Number.isSafeInteger, 'a whole number'),
  epochs: wholeNumber(1),
  patience: wholeNumber(1),
  valFraction: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)'),
  fineTuneBlocks: wholeNumber(0),
  fineTuneEpochs: wholeNumber(0),
  fineTunePatience: wholeNumber(1),
  fineTuneLr: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)'),
  augment: wholeNumber(0),
  shapeSwap: wholeNumber(0),
  labelSmoothing: numberText((x) => x >= 0 && x < 1, 'a number in [0, 1)'),
  mixup: numberText((x) => x >= 0, 'a number, 0 or more'),
  workers: wholeNumber(1),
  cacheDir: z.string().optional(),
  base: z.string().optional(),
});

export function configureTrainCommand(program: Command, io: CliIo): void {
  program
    .command('train')
    .description('train a model: two-phase transfer learning into a new registry version')
    .requiredOption('--data <dir>', 'labelled images in NORMAL/ and PNEUMONIA/ folders (any depth)')
    .requiredOption('--backbone <name>', Object.keys(BACKBONES).join(' | '))
    .option('--out <dir>', 'registry folder for the new version (default models/releases)')
    .option('--target-sensitivity <x>', 'threshold is chosen on validation to reach this', '0.95')
    .option(
      '--threshold-method <name>',
      `how: ${THRESHOLD_METHODS.join(' | ')} (empirical reaches the target on validation only; the others on the next images, with --threshold-confidence)`,
      TRAINING_DEFAULTS.thresholdMethod,
    )
    .option(
      '--threshold-confidence <x>',
      'confidence that the next images keep the target sensitivity',
      String(TRAINING_DEFAULTS.thresholdConfidence),
    )
    .option('--seed <n>', 'validation split, augmentation, initialisation and shuffling seed', '42')
    .option('--epochs <n>', 'phase 1 (head on the frozen backbone, Adam 1e-3): maximum epochs', String(TRAINING_DEFAULTS.maxEpochs))
    .option('--patience <n>', 'phase 1: stop after N epochs without better validation AUC', String(TRAINING_DEFAULTS.patience))
    .option(
      '--fine-tune-blocks <n>',
      'phase 2: top backbone blocks trained with the head, 0 skips it',
      String(TRAINING_DEFAULTS.fineTuneBlocks),
    )
    .option(
      '--fine-tune-lr <x>',
      'phase 2: Adam learning rate (1e-4 wrecks the ImageNet features within ten steps)',
      String(TRAINING_DEFAULTS.fineTuneLearningRate),
    )
    .option('--fine-tune-epochs <n>', 'phase 2: maximum epochs', String(TRAINING_DEFAULTS.fineTuneEpochs))
    .option(
      '--fine-tune-patience <n>',
      'phase 2: stop after N epochs without better validation AUC',
      String(TRAINING_DEFAULTS.fineTunePatience),
    )
    .option('--val-fraction <x>', 'share of patients held out for validation', '0.18')
    .option(
      '--augment <n>',
      "augmented copies (crop, contrast, exposure, gamma) per image; validation's copies are the test-time augmentation views",
      String(TRAINING_DEFAULTS.augmentCopies),
    )
    .option(
      '--shape-swap <n>',
      "copies of each training image with the other class's film shape (0 = none): takes away the shortcut of body proportions",
      String(TRAINING_DEFAULTS.shapeSwapCopies),
    )
    .option(
      '--label-smoothing <x>',
      "pull both phases' 0/1 targets towards 0.5 by x (0 = none; `levers` measures what it does under shift)",
      '0',
    )
    .option('--mixup <alpha>', 'mix training rows with Beta(alpha, alpha) weights in both phases (0 = none)', '0')
    .option(
      '--workers <n>',
      'activation-extraction threads (default: CPU cores, at most 4)',
      String(Math.min(4, os.availableParallelism())),
    )
    .option('--cache-dir <dir>', 'backbone activation cache (default .cache/activations)')
    .option(
      '--base <version|dir>',
      'the base model: a folder (model.json + weights), or a version that `models import` stored in MODEL_REGISTRY, downloaded into MODEL_CACHE_DIR (default models/base/<backbone folder>)',
    )
    .action(commandAction(io, Options, train));
}

/** `pneumoscreen train`: prints the new version on stdout, its metrics on stderr. */
async function train(values: z.output<typeof Options>, io: CliIo): Promise<number> {
  const backbone = BACKBONES[values.backbone]!;
  if (values.fineTuneBlocks > backbone.topBlocks.length)
    throw new UsageError(
      `--fine-tune-blocks must be at most ${backbone.topBlocks.length} for ${values.backbone}, not ${values.fineTuneBlocks}`,
    );
  const numbers = {
    targetSensitivity: values.targetSensitivity,
    thresholdMethod: values.thresholdMethod,
    thresholdConfidence: values.thresholdConfidence,
    seed: values.seed,
    maxEpochs: values.epochs,
    patience: values.patience,
    valFraction: values.valFraction,
    workers: values.workers,
    augmentCopies: values.augment,
    shapeSwapCopies: values.shapeSwap,
    labelSmoothing: values.labelSmoothing,
    mixupAlpha: values.mixup,
    fineTuneBlocks: values.fineTuneBlocks,
    fineTuneEpochs: values.fineTuneEpochs,
    fineTunePatience: values.fineTunePatience,
    fineTuneLearningRate: values.fineTuneLr,
  };
  const started = Date.now();
  const backboneDir =
    values.base === undefined ? repoPath(path.join('models/base', backbone.folder)) : await baseModelDir(io, values.base, backbone);
  const result = await trainModel({
    dataDir: path.resolve(values.data),
    backbone: values.backbone,
    backboneDir,
    outDir: path.resolve(values.out ?? repoPath('models/releases')),
    cacheDir: path.resolve(values.cacheDir ?? repoPath('.cache/activations')),
    codeVersion: codeVersion(repoRoot()),
    onProgress: trainReporter(errOutput(io)),
    ...numbers,
  });
  const lines = [...metricLines(result.manifest), ...thresholdMethodLines(result.manifest, result.thresholdMethods)];
  io.err(`done in ${duration(Date.now() - started)}: ${result.versionDir}\n${lines.map((l) => `${l}\n`).join('')}`);
  io.out(`${result.manifest.version}\n`);
  return ExitCode.ok;
}

/** Only a --base that is no folder reads the configuration, to find the registry. */
async function baseModelDir(io: CliIo, ref: string, backbone: Backbone): Promise<string> {
  let s3: S3ObjectStore | undefined;
  try {
    return await resolveBaseModel(ref, backbone, () => {
      const config = io.config();
      const location = config.models.registry;
      if (!location) return null;
      return {
        open: (name) => openModelRegistry(location, name, () => (s3 ??= new S3ObjectStore(config.models.registryS3))),
        cacheDir: config.models.cacheDir,
      };
    });
  } finally {
    s3?.destroy();
  }
}
