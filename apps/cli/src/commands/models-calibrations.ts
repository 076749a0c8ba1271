import type { AppConfig } from '@pneumoscreen/config';
import type { ModelRegistry } from '@pneumoscreen/model';
import type { ModelsCommandIo } from './models';
import { textTable } from './text-table';

/**
 * `models calibrations [VERSION] [--json]`: every site's threshold for a version (default: the one
 * MODEL_CHANNEL points at), so an operator sees which sites decide at their own threshold and
 * on how much evidence.
 */
export async function listSiteCalibrations(registry: ModelRegistry, io: ModelsCommandIo, config: AppConfig, version: string | undefined, json: boolean): Promise<number> {
  const chosen = version ?? (await registry.getChannel(config.models.channel))?.version;
  if (!chosen) {
    io.err(`no VERSION given and channel ${config.models.channel} points at no version: name the version\n`);
    return 1;
  }
  const published = await registry.getPublished(chosen);
  if (!published) {
    io.err(`${registry.name} has no published version "${chosen}" at ${registry.location}\n`);
    return 1;
  }
  const found = await registry.calibrations.list(chosen);
  if (json) {
    io.out(JSON.stringify({ version: chosen, calibrations: found }, null, 2) + '\n');
    return 0;
  }
  if (found.length === 0) {
    io.out(`${chosen} has no site calibrations: every site decides at the version's own threshold (see models calibrate)\n`);
    return 0;
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const rows = found.map((c) => [c.site, c.threshold.toFixed(6), pct(c.targetSensitivity), String(c.n), pct(c.sensitivity.value), pct(c.specificity.value), c.source, c.fittedAt]);
  const head = ['site', 'threshold', 'target sens', 'images', 'sens', 'spec', 'source', 'fitted'];
  io.out(`site calibrations of ${registry.name}@${chosen}\n\n${textTable([head, ...rows]).join('\n')}\n`);
  return 0;
}
