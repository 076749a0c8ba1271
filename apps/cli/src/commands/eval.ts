import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { repoPath } from '@pneumoscreen/config';
import { SiteName, type BinaryMetrics, type OutOfScope, type SiteCalibration } from '@pneumoscreen/contracts';
import { ASPECT_VIEWS, reshapedInput, STRESS_ASPECT, testTimeAugmentation } from '@pneumoscreen/training';
import { binaryMetrics, listDataset } from '@pneumoscreen/evaluation';
import { intendedUseOf, loadModelVersion, plainView, scoreItems, ScopeGuard } from '@pneumoscreen/inference';
import { resolveModelDir } from '@pneumoscreen/model-format';
import { ExitCode, UsageError, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { oneOf } from '../program/options';
import { listOodImages, scopeReport, type ScopeReport } from './eval-scope';
import { openConfiguredRegistry } from './configured-registry';

/** apps/cli/dist/commands -> repository root. */

const RESHAPES = { narrower: 'aspectNarrower', wider: 'aspectWider' } as const;

const Options = z.object({
  version: z.string().optional(),
  data: z.string(),
  model: z.string().optional(),
  site: SiteName.optional(),
  tta: z.boolean().default(false),
  reshape: oneOf(['narrower', 'wider']).optional(),
  oodData: z.string().optional(),
  json: z.boolean().default(false),
});

export function configureEvalCommand(program: Command, io: CliIo): void {
  program
    .command('eval')
    .description('evaluate a model on a labelled folder')
    .argument('[version]', 'a published version of the registry (MODEL_REGISTRY), downloaded to MODEL_CACHE_DIR')
    .requiredOption(
      '--data <dir>',
      "labelled images in NORMAL/ and PNEUMONIA/ folders (any depth); images outside the version's intended use are NOT_ASSESSED, as workers make them, and counted apart (outOfScope); the metrics are those of the assessed images",
    )
    .option('--model <path>', 'version folder, or registry folder with CURRENT (default models/releases)')
    .option(
      '--site <s>',
      "with VERSION: measure at the threshold fitted for site S (the bucket its studies arrive in; see models calibrate) when S has one, else at the version's own",
    )
    .option(
      '--tta',
      'average the model over the test-time augmentation views it was validated with, at the threshold chosen for them on validation (workers serve plain images only)',
    )
    .option(
      '--reshape <r>',
      `a stress test: score every image as if its original had been ${STRESS_ASPECT}x wider (narrower: bodies look narrower, as in the pneumonia films of the training data) or taller (wider), at the model's threshold; a model that reads the class from body proportions loses specificity (narrower) or sensitivity (wider)`,
    )
    .option(
      '--ood-data <dir>',
      'images the version must refuse (JPEG, PNG or DICOM, any depth; the first folder level names a group, e.g. lateral/, adult/, photos/): reports the share refused, per group and reason, beside the share of --data wrongly refused',
    )
    .option('--json', 'print one JSON object instead of a table')
    .action(commandAction(io, Options, evaluate));
}

/** `pneumoscreen eval`: scores every labelled image and reports the metrics at the model's own
 * threshold, at a site's fitted one (--site), or, with --tta, at the one chosen on validation for
 * its averaged views. */
async function evaluate(values: z.output<typeof Options>, io: CliIo): Promise<number> {
  const { version, reshape } = values;
  if (version && values.model) throw new UsageError('give a registry VERSION or --model PATH, not both');
  if (reshape !== undefined && (values.tta || values.site !== undefined))
    throw new UsageError('--reshape measures the plain model at its own threshold: leave out --tta and --site');
  if (values.site !== undefined) {
    if (!version) throw new UsageError('--site needs a registry VERSION: site thresholds are kept beside published versions');
    if (values.tta) throw new UsageError('--site and --tta do not mix: a site threshold is fitted on plain images, not averaged views');
  }

  const images = await listDataset(values.data);
  const ood = values.oodData ? await listOodImages(values.oodData) : [];
  const { dir, calibration } = await modelToEvaluate(io, version, values.model, values.site);
  if (values.site && !calibration)
    io.err(`site ${values.site} has no calibration for ${version}: measuring at the version's own threshold\n`);
  const { worker } = io.config();
  const { manifest, engine } = await loadModelVersion(dir, { engine: worker.engine, threads: worker.engineThreads });
  const engineName = engine.name;
  const started = Date.now();
  const guard = await ScopeGuard.load(dir);
  const use = intendedUseOf(manifest);
  const verdicts: Array<OutOfScope | null> = new Array(images.length).fill(null);
  const oodVerdicts: Array<OutOfScope | null> = new Array(ood.length).fill(null);
  const flags: Array<OutOfScope | null> = new Array(images.length).fill(null);
  const oodFlags: Array<OutOfScope | null> = new Array(ood.length).fill(null);
  let scores;
  let oodScores: Array<number | null> = [];
  let tta;
  try {
    tta = values.tta ? testTimeAugmentation(manifest) : undefined;
    scores = await scoreItems(engine, images, {
      read: (image) => readFile(image.path),
      name: (image) => path.relative(values.data, image.path),
      views: tta?.views ?? [reshape ? reshapedInput(manifest.preprocessing, ASPECT_VIEWS[RESHAPES[reshape]]!) : plainView(manifest)],
      onProgress: (done, total) => values.json || io.err(`\rscored ${done}/${total}`),
      scope: { use, guard, verdicts, flags },
    });
    if (ood.length) {
      oodScores = await scoreItems(engine, ood, {
        read: (image) => readFile(image.path),
        name: (image) => path.relative(values.oodData!, image.path),
        views: [plainView(manifest)],
        skipUndecodable: true,
        onProgress: (done, total) => values.json || io.err(`\rout-of-scope images: ${done}/${total}`),
        scope: { use, guard, verdicts: oodVerdicts, flags: oodFlags },
      });
    }
  } finally {
    await engine.dispose();
  }
  const scope: ScopeReport = scopeReport(
    { verdicts, flags },
    ood.length ? { images: ood, verdicts: oodVerdicts, flags: oodFlags, scores: oodScores } : undefined,
    guard !== null,
  );
  const threshold = calibration?.threshold ?? tta?.threshold ?? manifest.threshold;
  const thresholdSource = calibration ? `site:${calibration.site}` : tta ? 'tta' : 'model';
  const assessed = images.flatMap((image, i) => (verdicts[i] ? [] : [{ label: image.label, score: scores[i] ?? NaN }]));
  const metrics = binaryMetrics(
    assessed.map((a) => a.score),
    assessed.map((a) => a.label),
    threshold,
  );
  if (values.json) {
    io.out(
      JSON.stringify({
        ...metrics,
        thresholdSource,
        modelVersion: manifest.version,
        engine: engineName,
        ...scope,
        ...(tta ? { ttaViews: tta.views.length } : {}),
        ...(reshape ? { reshape } : {}),
      }) + '\n',
    );
  } else {
    io.err(` in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    const described =
      `${manifest.version} on ${engineName}` +
      (tta ? ` (test-time augmentation, ${tta.views.length} views)` : '') +
      (reshape ? ` (images reshaped ${reshape})` : '');
    io.out(
      table(
        metrics,
        described,
        calibration
          ? `fitted for site ${calibration.site} on ${calibration.fittedAt.slice(0, 10)} from ${calibration.n} images; the version's own is ${manifest.threshold.toFixed(4)}`
          : undefined,
      ),
    );
    io.out(scopeLines(scope));
  }
  return ExitCode.ok;
}

/** A registry VERSION comes with its site's calibration, when asked for and there is one. */
async function modelToEvaluate(
  io: CliIo,
  version: string | undefined,
  modelPath: string | undefined,
  site: string | undefined,
): Promise<{ dir: string; calibration: SiteCalibration | null }> {
  if (!version) return { dir: await resolveModelDir(modelPath ?? repoPath('models/releases')), calibration: null };
  const config = io.config();
  const { registry, close } = openConfiguredRegistry(config);
  try {
    const dir = await registry.download(version, config.models.cacheDir);
    return { dir, calibration: site ? await registry.calibrations.get(version, site) : null };
  } finally {
    close();
  }
}

function table(m: BinaryMetrics, version: string, thresholdNote?: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const c = m.confusion;
  return [
    `model        ${version}`,
    `n            ${m.n} (${c.tp + c.fn} PNEUMONIA, ${c.tn + c.fp} NORMAL)`,
    `threshold    ${m.threshold.toFixed(4)}${thresholdNote ? ` (${thresholdNote})` : ''}`,
    `accuracy     ${pct(m.accuracy)}`,
    `sensitivity  ${pct(m.sensitivity)}`,
    `specificity  ${pct(m.specificity)}`,
    `AUC          ${m.auc.toFixed(4)}`,
    `confusion    predicted PNEUMONIA  predicted NORMAL`,
    `  PNEUMONIA  ${String(c.tp).padStart(19)}  ${String(c.fn).padStart(16)}`,
    `  NORMAL     ${String(c.fp).padStart(19)}  ${String(c.tn).padStart(16)}`,
    '',
  ].join('\n');
}

function scopeLines(s: ScopeReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const reasons = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const lines = [
    `out of scope ${s.outOfScope.count} of --data (${pct(s.outOfScope.share)} wrongly refused: ${reasons(s.outOfScope.reasons)}); ${pct(s.outOfScope.flaggedShare)} flagged${s.guard ? '' : '; this version has no content guard'}`,
  ];
  if (s.ood) {
    lines.push(
      `--ood-data   ${pct(s.ood.refused.share)} refused of ${s.ood.images}, ${pct(s.ood.refused.refusedOrFlagged)} refused or flagged (${reasons(s.ood.reasons)}); unreadable ${s.ood.unreadable}`,
    );
    for (const [group, g] of Object.entries(s.ood.groups))
      lines.push(`  ${group.padEnd(20)} ${pct(g.share)} of ${g.images} refused, ${pct(g.refusedOrFlagged)} refused or flagged`);
  }
  return lines.join('\n') + '\n';
}
