import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { PAEDIATRIC_CHEST, type IntendedUse } from '@pneumoscreen/contracts';
import { fitGuardForVersion, GUARD_FILE, resolveModelDir } from '@pneumoscreen/model';
import { liveLine } from './live-line';
import { UsageError, parseCommandLine } from './usage';

export const GUARD_USAGE = `usage: pneumoscreen models guard DIR --data IMAGES [--originals DIR] [--ages MIN-MAX] [--json]
  DIR             a version folder (or a folder whose CURRENT names one), before it is published
  --data IMAGES   the version's training data (NORMAL/ and PNEUMONIA/ folders); the patient split
                  in its manifest keeps validation patients out of the fit
  --originals DIR full-resolution originals of some training films (same file names, e.g.
                  ../shared/data/kermany-original-sample): resized here as workers resize
                  uploads, they join the fit on their side of the patient split
  --ages MIN-MAX  the population recorded as the version's intended use when its manifest names
                  none (default ${PAEDIATRIC_CHEST.population.minAgeYears}-${PAEDIATRIC_CHEST.population.maxAgeYears})
  --json          print the fit summary as one JSON object

Fits the image-content guard on the version's own pooled backbone features and writes
${GUARD_FILE} into DIR: a Mahalanobis distance to the training films (shrinkage covariance) and a
frontal-chest head trained against negatives made from the films (half films, rotated films,
magnified corners) and from nothing (colour scenes, documents, noise). Each check's threshold
refuses at most 0.5% of training films held out of the fit. Scores with the engine ENGINE names.
`;

/** \`pneumoscreen models guard\`. Exit codes: 0 written, 1 failed, 2 a usage error. */
export async function runGuardCommand(argv: string[], io: { out: (t: string) => void; err: (t: string) => void }): Promise<number> {
  const line = parseCommandLine(argv, GUARD_USAGE, () => parse(argv), io);
  if ('exit' in line) return line.exit;
  const { request } = line;
  const { worker } = loadConfig();
  const progress = liveLine(process.stderr);
  const result = await fitGuardForVersion({
    versionDir: await resolveModelDir(request.dir),
    dataDir: request.data,
    engine: { engine: worker.engine, threads: worker.engineThreads },
    intendedUse: request.intendedUse,
    ...(request.originals ? { originalsDir: request.originals } : {}),
    onProgress: (stage, done, total) => progress.update(`  features of ${stage}: ${done}/${total}`),
  });
  const summary = { file: result.file, validationRefused: result.validationRefused, manifestUpdated: result.manifestUpdated, distanceThreshold: result.guard.distance.threshold, viewThreshold: result.guard.view.threshold, fit: result.guard.fit };
  progress.keep(`wrote ${result.file}: refuses ${(result.validationRefused * 100).toFixed(2)}% of the version's validation films${result.manifestUpdated ? '; intended use recorded in manifest.json' : ''}`);
  if (request.json) io.out(JSON.stringify(summary) + '\n');
  return 0;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, originals: { type: 'string' }, ages: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals.length !== 1) throw new UsageError('name one version folder');
  if (!values.data) throw new UsageError('--data is required: the version\'s training images');
  let intendedUse: IntendedUse = PAEDIATRIC_CHEST;
  if (values.ages !== undefined) {
    const m = /^(\d{1,3})-(\d{1,3})$/.exec(values.ages);
    if (!m || Number(m[1]) > Number(m[2])) throw new UsageError(`--ages must be MIN-MAX in years, e.g. 0-17, not "${values.ages}"`);
    intendedUse = { ...PAEDIATRIC_CHEST, population: { minAgeYears: Number(m[1]), maxAgeYears: Number(m[2]) } };
  }
  return { dir: positionals[0]!, data: values.data, originals: values.originals, intendedUse, json: values.json! };
}
