import * as path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { repoPath } from '@pneumoscreen/config';
import type { ModelManifest } from '@pneumoscreen/contracts';
import {
  THRESHOLD_METHODS,
  compareOnDraws,
  listDataset,
  methodsOnWhole,
  patientSplit,
  rocAuc,
  type DrawComparison,
  type LabelledImage,
  type MethodOnWhole,
} from '@pneumoscreen/evaluation';
import { loadModelVersion, plainView, type View } from '@pneumoscreen/inference';
import { resolveModelDir } from '@pneumoscreen/model-format';
import { ExitCode, commandAction } from '../program/action';
import { errOutput, type CliIo } from '../program/io';
import { numberText, wholeNumber } from '../program/options';
import { bar, liveLine } from './live-line';
import { SHIFTED_VIEW_NAME, cachedScores, shiftedView } from './scored-sources';
import { textTable } from './text-table';

const Options = z.object({
  data: z.string(),
  originals: z.string().optional(),
  model: z.string().optional(),
  draws: wholeNumber(1),
  siteSize: wholeNumber(2),
  target: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)'),
  confidence: numberText((x) => x > 0 && x < 1, 'a number in (0, 1)'),
  seed: numberText(Number.isSafeInteger, 'a whole number'),
  cacheDir: z.string().optional(),
  json: z.boolean().default(false),
});

export function configureCalibrationCommand(program: Command, io: CliIo): void {
  const calibration = program.command('calibration').description('how site thresholds are chosen, measured');
  calibration
    .command('compare')
    .description(
      "compare the threshold methods on repeated site-sized calibrations: how often each one's threshold, chosen on a random subsample, keeps the target sensitivity on the rest",
    )
    .requiredOption(
      '--data <dir>',
      "the model's training data (NORMAL/ and PNEUMONIA/ folders): its patient-grouped validation split, as the manifest records it, plain and shifted, are two sources",
    )
    .option('--originals <dir>', 'a third source: labelled original-resolution X-rays (e.g. ../shared/data/kermany-original-sample)')
    .option('--model <path>', 'version folder, or registry folder with CURRENT (default models/releases)')
    .option('--draws <n>', 'random calibration subsamples per source', '500')
    .option('--site-size <n>', 'images a site calibrates on (stratified by class at the source prevalence)', '116')
    .option('--target <x>', 'sensitivity each threshold promises', '0.95')
    .option('--confidence <x>', 'the confidence the methods other than empirical promise it with', '0.95')
    .option('--seed <n>', 'the draws', '1')
    .option('--cache-dir <dir>', 'score cache (default .cache/calibration-compare)')
    .option('--json', 'print one JSON object instead of tables')
    .action(commandAction(io, Options, compare));
}

interface SourceResult {
  name: string;
  description: string;
  auc: number;
  /** Each method's threshold chosen on the whole source, measured there. */
  whole: MethodOnWhole[];
  draws: DrawComparison;
}

/** `pneumoscreen calibration compare`: an evaluation; nothing is written but the score cache. */
async function compare(values: z.output<typeof Options>, io: CliIo): Promise<number> {
  const progress = liveLine(errOutput(io));
  const say = (text: string) => values.json || progress.keep(text);
  const { worker } = io.config();
  const { manifest, engine } = await loadModelVersion(await resolveModelDir(values.model ?? repoPath('models/releases')), {
    engine: worker.engine,
    threads: worker.engineThreads,
  });
  const cacheDir = path.resolve(values.cacheDir ?? repoPath('.cache/calibration-compare'));
  const validation = await validationImages(values.data, manifest);
  const originals = values.originals ? await listDataset(values.originals) : [];
  const inValidation = new Set(validation.map((v) => `${v.label}/${path.basename(v.path)}`));
  const originalsInValidation = originals.filter((o) => inValidation.has(`${o.label}/${path.basename(o.path)}`)).length;
  const sources: Array<{ name: string; description: string; images: LabelledImage[]; view: { name: string; view: View } }> = [
    {
      name: 'validation',
      description: 'patient-grouped validation split',
      images: validation,
      view: { name: 'plain', view: plainView(manifest) },
    },
    {
      name: 'shifted',
      description: `validation split, every image under one fixed view (${SHIFTED_VIEW_NAME})`,
      images: validation,
      view: { name: SHIFTED_VIEW_NAME, view: shiftedView(manifest.preprocessing) },
    },
  ];
  if (originals.length)
    sources.push({
      name: 'originals',
      description: `original-resolution X-rays (${originalsInValidation} of them in the validation split in their 224-px copy, the rest in training)`,
      images: originals,
      view: { name: 'plain', view: plainView(manifest) },
    });
  say(`${manifest.version} on ${engine.name}: scoring ${sources.length} sources (cached under ${cacheDir})`);
  const results: SourceResult[] = [];
  try {
    for (const source of sources) {
      const started = Date.now();
      const { scores, cached } = await cachedScores(engine, manifest, source.images, source.view, cacheDir, (done, total) =>
        values.json ? undefined : progress.update(`  ${source.name}: ${bar(done / total)} ${done}/${total}`),
      );
      say(
        `  ${source.name}: ${source.images.length} images ${cached ? 'from the cache' : `scored in ${((Date.now() - started) / 1000).toFixed(1)} s`}`,
      );
      const labels = source.images.map((i) => i.label);
      const rule = { target: values.target, confidence: values.confidence };
      const draws = compareOnDraws(scores, labels, {
        ...rule,
        methods: THRESHOLD_METHODS,
        siteSize: values.siteSize,
        draws: values.draws,
        seed: values.seed,
      });
      const whole = methodsOnWhole(scores, labels, THRESHOLD_METHODS, rule);
      results.push({ name: source.name, description: source.description, auc: rocAuc(scores, labels), whole, draws });
    }
  } finally {
    await engine.dispose();
  }
  const run = {
    modelVersion: manifest.version,
    engine: engine.name,
    target: values.target,
    confidence: values.confidence,
    seed: values.seed,
    sources: results,
  };
  io.out(values.json ? JSON.stringify(run, null, 2) + '\n' : compareTables(run).join('\n') + '\n');
  return ExitCode.ok;
}

/** The validation split the version was trained with (its manifest's seed and fraction). */
async function validationImages(dataDir: string, manifest: ModelManifest): Promise<LabelledImage[]> {
  const images = await listDataset(dataDir);
  const split = (manifest.data['split'] ?? {}) as { seed?: unknown; valFraction?: unknown };
  const seed = typeof split.seed === 'number' ? split.seed : 42;
  const valFraction = typeof split.valFraction === 'number' ? split.valFraction : 0.18;
  return patientSplit(images, valFraction, seed).val.map((i) => images[i]!);
}

export function compareTables(run: { target: number; confidence: number; sources: SourceResult[] }): string[] {
  const f = (x: number) => x.toFixed(3);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines: string[] = [];
  for (const s of run.sources) {
    const d = s.draws;
    lines.push(
      '',
      `${s.name}: ${s.description}; ${d.images} images (${d.positives} PNEUMONIA), AUC ${s.auc.toFixed(4)}`,
      `  ${d.draws} draws of ${d.site.positives + d.site.negatives} (${d.site.positives} PNEUMONIA + ${d.site.negatives} NORMAL), each measured on the other ${d.heldOut.positives + d.heldOut.negatives}; kept = held-out sensitivity >= ${run.target}`,
    );
    const rows = [['method', 'kept', 'mean sens', 'p5 sens', 'mean spec', 'mean threshold', 'whole: threshold', 'sens', 'spec']];
    for (const r of d.results) {
      const w = s.whole.find((x) => x.method === r.method)!;
      rows.push([
        r.method,
        pct(r.kept),
        f(r.meanSensitivity),
        f(r.p5Sensitivity),
        f(r.meanSpecificity),
        f(r.meanThreshold),
        f(w.threshold),
        f(w.sensitivity),
        f(w.specificity),
      ]);
    }
    lines.push(...textTable(rows).map((l) => `  ${l}`));
  }
  lines.push(
    '',
    `confidence ${run.confidence} for order-statistic, bootstrap and binormal; "whole" = chosen on all of the source and measured there`,
  );
  return lines;
}
