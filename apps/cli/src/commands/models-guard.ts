import type { Command } from 'commander';
import { z } from 'zod';
import { PAEDIATRIC_CHEST, type IntendedUse } from '@pneumoscreen/contracts';
import { fitGuardForVersion } from '@pneumoscreen/training';
import { GUARD_FILE, resolveModelDir } from '@pneumoscreen/model-format';
import { liveLine } from './live-line';
import { ExitCode, commandAction } from '../program/action';
import { errOutput, type CliIo } from '../program/io';
import { ageRange } from '../program/options';

const Options = z.object({
  dir: z.string(),
  data: z.string(),
  originals: z.string().optional(),
  ages: ageRange('0-17').optional(),
  json: z.boolean().default(false),
});

export function configureModelsGuardCommand(models: Command, io: CliIo): void {
  models
    .command('guard')
    .description('fit the image-content guard of a version folder and record its intended use')
    .argument('<dir>', 'a version folder (or a folder whose CURRENT names one), before it is published')
    .requiredOption(
      '--data <images>',
      "the version's training data (NORMAL/ and PNEUMONIA/ folders); the patient split in its manifest keeps validation patients out of the fit",
    )
    .option(
      '--originals <dir>',
      'full-resolution originals of some training films (same file names, e.g. ../shared/data/kermany-original-sample): resized here as workers resize uploads, they join the fit on their side of the patient split',
    )
    .option(
      '--ages <min-max>',
      `the population recorded as the version's intended use when its manifest names none (default ${PAEDIATRIC_CHEST.population.minAgeYears}-${PAEDIATRIC_CHEST.population.maxAgeYears})`,
    )
    .option('--json', 'print the fit summary as one JSON object')
    .addHelpText(
      'after',
      `
Fits the image-content guard on the version's own pooled backbone features and writes
${GUARD_FILE} into DIR: a Mahalanobis distance to the training films (shrinkage covariance) and a
frontal-chest head trained against negatives made from the films (half films, rotated films,
magnified corners) and from nothing (colour scenes, documents, noise). Each check's threshold
refuses at most 0.5% of training films held out of the fit. Scores with the engine ENGINE names.
`,
    )
    .action(commandAction(io, Options, guardCommand));
}

/** `pneumoscreen models guard`: 0 written. */
async function guardCommand(request: z.output<typeof Options>, io: CliIo): Promise<number> {
  const intendedUse: IntendedUse = request.ages ? { ...PAEDIATRIC_CHEST, population: request.ages } : PAEDIATRIC_CHEST;
  const { worker } = io.config();
  const progress = liveLine(errOutput(io));
  const result = await fitGuardForVersion({
    versionDir: await resolveModelDir(request.dir),
    dataDir: request.data,
    engine: { engine: worker.engine, threads: worker.engineThreads },
    intendedUse,
    ...(request.originals ? { originalsDir: request.originals } : {}),
    onProgress: (stage, done, total) => progress.update(`  features of ${stage}: ${done}/${total}`),
  });
  const summary = {
    file: result.file,
    validationRefused: result.validationRefused,
    manifestUpdated: result.manifestUpdated,
    distanceThreshold: result.guard.distance.threshold,
    viewThreshold: result.guard.view.threshold,
    fit: result.guard.fit,
  };
  progress.keep(
    `wrote ${result.file}: refuses ${(result.validationRefused * 100).toFixed(2)}% of the version's validation films${result.manifestUpdated ? '; intended use recorded in manifest.json' : ''}`,
  );
  if (request.json) io.out(JSON.stringify(summary) + '\n');
  return ExitCode.ok;
}
