import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { SiteName, type BinaryMetrics, type OutOfScope, type SiteCalibration } from '@pneumoscreen/contracts';
import { ASPECT_VIEWS, binaryMetrics, intendedUseOf, listDataset, loadModelVersion, reshapedInput, resolveModelDir, ScopeGuard, STRESS_ASPECT, testTimeAugmentation } from '@pneumoscreen/model';
import { listOodImages, scopeReport, type ScopeReport } from './eval-scope';
import { openConfiguredRegistry } from './configured-registry';
import { plainView, scoreItems } from './scoring';

/** apps/cli/dist/commands -> repository root. */
const REPO_ROOT = path.resolve(__dirname, '../../../..');

const RESHAPES = { narrower: 'aspectNarrower', wider: 'aspectWider' } as const;

const USAGE = `usage: pneumoscreen eval --data DIR [VERSION | --model PATH] [--site S] [--tta | --reshape narrower|wider] [--ood-data DIR] [--json]
  --data DIR     labelled images in NORMAL/ and PNEUMONIA/ folders (any depth); images outside the
                 version's intended use are NOT_ASSESSED, as workers make them, and counted apart
                 (outOfScope); the metrics are those of the assessed images
  --ood-data DIR images the version must refuse (JPEG, PNG or DICOM, any depth; the first folder
                 level names a group, e.g. lateral/, adult/, photos/): reports the share refused,
                 per group and reason, beside the share of --data wrongly refused
  VERSION        a published version of the registry (MODEL_REGISTRY), downloaded to MODEL_CACHE_DIR
  --model PATH   version folder, or registry folder with CURRENT (default models/releases)
  --site S       with VERSION: measure at the threshold fitted for site S (the bucket its studies
                 arrive in; see models calibrate) when S has one, else at the version's own
  --tta          average the model over the test-time augmentation views it was validated with,
                 at the threshold chosen for them on validation (workers serve plain images only)
  --reshape R    a stress test: score every image as if its original had been ${STRESS_ASPECT}x wider
                 (narrower: bodies look narrower, as in the pneumonia films of the training data)
                 or taller (wider), at the model's threshold; a model that reads the class from
                 body proportions loses specificity (narrower) or sensitivity (wider)
  --json         print one JSON object instead of a table
`;

/** `pneumoscreen eval`: scores every labelled image and reports the metrics at the model's own
 * threshold, at a site's fitted one (--site), or, with --tta, at the one chosen on validation for
 * its averaged views. */
export async function evalCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        model: { type: 'string' },
        site: { type: 'string' },
        tta: { type: 'boolean', default: false },
        reshape: { type: 'string' },
        json: { type: 'boolean', default: false },
        'ood-data': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.data) return usageError('--data is required');
  if (positionals.length > 1) return usageError(`one VERSION at most, not ${positionals.length}`);
  const version = positionals[0];
  if (version && values.model) return usageError('give a registry VERSION or --model PATH, not both');
  const reshape = values.reshape;
  if (reshape !== undefined && !Object.hasOwn(RESHAPES, reshape)) return usageError(`--reshape must be narrower or wider, not "${reshape}"`);
  if (reshape !== undefined && (values.tta || values.site !== undefined)) return usageError('--reshape measures the plain model at its own threshold: leave out --tta and --site');
  if (values.site !== undefined) {
    if (!version) return usageError('--site needs a registry VERSION: site thresholds are kept beside published versions');
    if (values.tta) return usageError('--site and --tta do not mix: a site threshold is fitted on plain images, not averaged views');
    const site = SiteName.safeParse(values.site);
    if (!site.success) return usageError(`--site "${values.site}" ${site.error.issues[0]!.message}`);
  }

  const images = await listDataset(values.data);
  const ood = values['ood-data'] ? await listOodImages(values['ood-data']) : [];
  const { dir, calibration } = await modelToEvaluate(version, values.model, values.site);
  if (values.site && !calibration) process.stderr.write(`site ${values.site} has no calibration for ${version}: measuring at the version's own threshold\n`);
  const { worker } = loadConfig();
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
      name: (image) => path.relative(values.data!, image.path),
      views: tta?.views ?? [reshape ? reshapedInput(manifest.preprocessing, ASPECT_VIEWS[RESHAPES[reshape as keyof typeof RESHAPES]]!) : plainView(manifest)],
      onProgress: (done, total) => values.json || process.stderr.write(`\rscored ${done}/${total}`),
      scope: { use, guard, verdicts, flags },
    });
    if (ood.length) {
      oodScores = await scoreItems(engine, ood, {
        read: (image) => readFile(image.path),
        name: (image) => path.relative(values['ood-data']!, image.path),
        views: [plainView(manifest)],
        skipUndecodable: true,
        onProgress: (done, total) => values.json || process.stderr.write(`\rout-of-scope images: ${done}/${total}`),
        scope: { use, guard, verdicts: oodVerdicts, flags: oodFlags },
      });
    }
  } finally {
    await engine.dispose();
  }
  const scope: ScopeReport = scopeReport({ verdicts, flags }, ood.length ? { images: ood, verdicts: oodVerdicts, flags: oodFlags, scores: oodScores } : undefined, guard !== null);
  const threshold = calibration?.threshold ?? tta?.threshold ?? manifest.threshold;
  const thresholdSource = calibration ? `site:${calibration.site}` : tta ? 'tta' : 'model';
  const assessed = images.flatMap((image, i) => (verdicts[i] ? [] : [{ label: image.label, score: scores[i] ?? NaN }]));
  const metrics = binaryMetrics(assessed.map((a) => a.score), assessed.map((a) => a.label), threshold);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...metrics, thresholdSource, modelVersion: manifest.version, engine: engineName, ...scope, ...(tta ? { ttaViews: tta.views.length } : {}), ...(reshape ? { reshape } : {}) }) + '\n');
  } else {
    process.stderr.write(` in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    const described = `${manifest.version} on ${engineName}` + (tta ? ` (test-time augmentation, ${tta.views.length} views)` : '') + (reshape ? ` (images reshaped ${reshape})` : '');
    process.stdout.write(table(metrics, described, calibration ? `fitted for site ${calibration.site} on ${calibration.fittedAt.slice(0, 10)} from ${calibration.n} images; the version's own is ${manifest.threshold.toFixed(4)}` : undefined));
    process.stdout.write(scopeLines(scope));
  }
  return 0;
}

/** A registry VERSION comes with its site's calibration, when asked for and there is one. */
async function modelToEvaluate(version: string | undefined, modelPath: string | undefined, site: string | undefined): Promise<{ dir: string; calibration: SiteCalibration | null }> {
  if (!version) return { dir: await resolveModelDir(modelPath ?? path.join(REPO_ROOT, 'models/releases')), calibration: null };
  const config = loadConfig();
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
  const reasons = (r: Record<string, number>) => Object.entries(r).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const lines = [`out of scope ${s.outOfScope.count} of --data (${pct(s.outOfScope.share)} wrongly refused: ${reasons(s.outOfScope.reasons)}); ${pct(s.outOfScope.flaggedShare)} flagged${s.guard ? '' : '; this version has no content guard'}`];
  if (s.ood) {
    lines.push(`--ood-data   ${pct(s.ood.refused.share)} refused of ${s.ood.images}, ${pct(s.ood.refused.refusedOrFlagged)} refused or flagged (${reasons(s.ood.reasons)}); unreadable ${s.ood.unreadable}`);
    for (const [group, g] of Object.entries(s.ood.groups)) lines.push(`  ${group.padEnd(20)} ${pct(g.share)} of ${g.images} refused, ${pct(g.refusedOrFlagged)} refused or flagged`);
  }
  return lines.join('\n') + '\n';
}

function usageError(message: string): number {
  process.stderr.write(`eval: ${message}\n\n${USAGE}`);
  return 2;
}
