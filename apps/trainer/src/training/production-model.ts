import * as path from 'node:path';
import type { AppConfig } from '@pneumoscreen/config';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { readManifest } from '@pneumoscreen/model-format';
import type { ModelRegistry } from '@pneumoscreen/registry';
import { BACKBONES } from '@pneumoscreen/training';
import type { RetrainProgressReporter } from './retrain-progress';

/** The version a retrain starts from and is measured against. */
export interface Production {
  version: string;
  dir: string;
  manifest: ModelManifest;
}

/** Downloads the production channel's version into `<workDir>/models`; null when the channel is
 * empty (the first model). Warns when that version was validated on another split than this
 * trainer's, since its validation metrics then include images it trained on. */
export async function fetchProduction(
  registry: Pick<ModelRegistry, 'getChannel' | 'download'>,
  trainer: Pick<AppConfig['trainer'], 'workDir' | 'seed' | 'valFraction'>,
  progress: Pick<RetrainProgressReporter, 'report'>,
  warn: (message: string) => void,
): Promise<Production | null> {
  const pointer = await registry.getChannel('production');
  if (!pointer) return null;
  progress.report({ phase: 'dataset', message: `downloading production ${pointer.version}` }, true);
  const dir = await registry.download(pointer.version, path.join(trainer.workDir, 'models'));
  const manifest = await readManifest(dir);
  const split = manifest.data['split'] as { seed?: unknown; valFraction?: unknown } | undefined;
  const { seed, valFraction } = trainer;
  if (split && (split.seed !== seed || split.valFraction !== valFraction)) {
    warn(
      `production ${pointer.version} was validated on another split (seed ${String(split.seed)}, fraction ${String(split.valFraction)}; now ${seed}, ${valFraction}): its validation metrics may include images it trained on`,
    );
  }
  return { version: pointer.version, dir, manifest };
}

/** When the newest label a version was trained with was received; null when none was recorded. */
export function feedbackUntil(manifest: ModelManifest | undefined): string | null {
  const until = (manifest?.data['feedback'] as { until?: unknown } | undefined)?.until;
  return typeof until === 'string' && !Number.isNaN(Date.parse(until)) ? until : null;
}

/** The trainable backbone of production's architecture, or, for a first model, the one whose
 * folder TRAINING_BASE_MODEL_DIR is. */
export function backboneFor(production: ModelManifest | undefined, baseModelDir: string): string {
  const entries = Object.entries(BACKBONES);
  const found = production
    ? entries.find(([, b]) => b.architecture === production.architecture)
    : entries.find(([, b]) => b.folder === path.basename(baseModelDir));
  if (found) return found[0];
  throw new Error(
    production
      ? `production ${production.version} is ${production.architecture}, which the trainer cannot train (it trains ${entries.map(([, b]) => b.architecture).join(', ')})`
      : `TRAINING_BASE_MODEL_DIR ${baseModelDir} is not a known backbone folder (${entries.map(([, b]) => b.folder).join(', ')})`,
  );
}
