import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { repoPath } from '@pneumoscreen/config';
import { BACKBONES, runLevers, type LeverRun } from '@pneumoscreen/training';
import { ExitCode, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { fraction, numberText, oneOf, wholeNumber } from '../program/options';
import { textTable } from './text-table';

/** apps/cli/dist/commands -> repository root. */

const Options = z.object({
  data: z.string(),
  backbone: oneOf(Object.keys(BACKBONES) as [string, ...string[]]),
  seed: numberText(Number.isSafeInteger, 'a whole number'),
  valFraction: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)'),
  maxTrain: wholeNumber(10).optional(),
  maxVal: wholeNumber(10).optional(),
  augment: wholeNumber(1),
  targetSensitivity: fraction(),
  epochs: wholeNumber(1),
  patience: wholeNumber(1),
  workers: wholeNumber(1),
  cacheDir: z.string().optional(),
  json: z.boolean().default(false),
});

export function configureLeversCommand(program: Command, io: CliIo): void {
  program
    .command('levers')
    .description(
      'compare training and serving levers (label smoothing, mixup, augmentation, head ensembles, test-time augmentation) on validation and the aspect stress views',
    )
    .requiredOption('--data <dir>', 'labelled images in NORMAL/ and PNEUMONIA/ folders (any depth), split by patient as train splits them')
    .option('--backbone <name>', Object.keys(BACKBONES).join(' | '), 'mobilenet')
    .option('--seed <n>', 'the split, sampling, augmentation and initialisation seed', '42')
    .option('--val-fraction <x>', 'share of patients held out for validation', '0.18')
    .option('--max-train <n>', 'a seeded sample of at most N training images (default all): every view costs a backbone pass per image')
    .option('--max-val <n>', 'a seeded sample of at most N validation images (default all); each gets 9 views')
    .option('--augment <n>', 'augmented copies per training image for the augmentation lever (the train recipe)', '1')
    .option('--target-sensitivity <x>', "each lever's threshold is chosen on validation to reach this", '0.95')
    .option('--epochs <n>', 'head training: maximum epochs', '100')
    .option('--patience <n>', 'head training: stop after N epochs without better validation AUC', '15')
    .option('--workers <n>', 'feature-extraction threads', String(Math.min(4, os.availableParallelism())))
    .option('--cache-dir <dir>', 'pooled-feature cache (default .cache/activations)')
    .option('--json', 'print one JSON object instead of tables')
    .action(commandAction(io, Options, levers));
}

/** `pneumoscreen levers`: an evaluation, not a release; nothing is written but the feature cache. */
async function levers(values: z.output<typeof Options>, io: CliIo): Promise<number> {
  const backbone = BACKBONES[values.backbone]!;
  const run = await runLevers({
    dataDir: path.resolve(values.data),
    backbone: values.backbone,
    backboneDir: repoPath(path.join('models/base', backbone.folder)),
    cacheDir: path.resolve(values.cacheDir ?? repoPath('.cache/activations')),
    seed: values.seed,
    valFraction: values.valFraction,
    maxTrain: values.maxTrain,
    maxVal: values.maxVal,
    augmentCopies: values.augment,
    targetSensitivity: values.targetSensitivity,
    maxEpochs: values.epochs,
    patience: values.patience,
    workers: values.workers,
    onProgress: values.json ? undefined : (line) => io.err(line),
  });
  io.out(values.json ? JSON.stringify(run, null, 2) + '\n' : leverTables(run).join('\n') + '\n');
  return ExitCode.ok;
}

/** One table per view; confidence columns are the mean of max(p, 1 - p). */
export function leverTables(run: LeverRun): string[] {
  const f = (x: number, digits = 3) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
  const { images, extraction } = run;
  const lines = [
    `${images.train} training images (${images.trainNormal} NORMAL), ${images.val} validation images (${images.valNormal} NORMAL); ` +
      (extraction.passes
        ? `${extraction.passes} backbone passes computed in ${extraction.seconds.toFixed(0)} s`
        : 'every feature from the cache'),
  ];
  for (const view of Object.keys(run.results[0]?.views ?? {})) {
    lines.push('', `${view} (threshold: each lever's, chosen on validation)`);
    const rows = [['lever', 'AUC', 'sens', 'spec', 'Brier', 'ECE', 'conf', 'conf wrong', 'train s', 'passes/image']];
    for (const r of run.results) {
      const v = r.views[view]!;
      rows.push([
        r.lever,
        f(v.auc, 4),
        f(v.sensitivity),
        f(v.specificity),
        f(v.brier, 4),
        f(v.ece, 4),
        f(v.confidence),
        f(v.confidenceWhenWrong),
        r.trainSeconds.toFixed(1),
        `${r.backbonePasses} backbone, ${r.headPasses} head`,
      ]);
    }
    lines.push(...textTable(rows));
  }
  return lines;
}
