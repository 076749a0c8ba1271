import type { Command } from 'commander';
import { z } from 'zod';
import type { SiteCalibration } from '@pneumoscreen/contracts';
import { ExitCode, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { withConfiguredRegistry } from './configured-registry';
import { textTable } from './text-table';

const Options = z.object({ version: z.string().optional(), json: z.boolean().default(false) });

export function configureModelsCalibrationsCommand(models: Command, io: CliIo): void {
  models
    .command('calibrations')
    .description("every site's threshold for a version (default: MODEL_CHANNEL's)")
    .argument('[version]', 'a published version')
    .option('--json', 'print the calibrations as JSON')
    .action(commandAction(io, Options, listSiteCalibrations));
}

/**
 * `models calibrations [VERSION] [--json]`: every site's threshold for a version (default: the one
 * MODEL_CHANNEL points at), so an operator sees which sites decide at their own threshold, by
 * which rule, and on how much evidence: a fit on too few positives says so.
 */
async function listSiteCalibrations({ version, json }: z.output<typeof Options>, io: CliIo): Promise<number> {
  const config = io.config();
  return withConfiguredRegistry(config, async (registry) => {
    const chosen = version ?? (await registry.getChannel(config.models.channel))?.version;
    if (!chosen) {
      io.err(`no VERSION given and channel ${config.models.channel} points at no version: name the version\n`);
      return ExitCode.failed;
    }
    const published = await registry.getPublished(chosen);
    if (!published) {
      io.err(`${registry.name} has no published version "${chosen}" at ${registry.location}\n`);
      return ExitCode.failed;
    }
    const found = await registry.calibrations.list(chosen);
    if (json) {
      io.out(JSON.stringify({ version: chosen, calibrations: found }, null, 2) + '\n');
      return ExitCode.ok;
    }
    if (found.length === 0) {
      io.out(`${chosen} has no site calibrations: every site decides at the version's own threshold (see models calibrate)\n`);
      return ExitCode.ok;
    }
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const rows = found.map((c) => [
      c.site,
      c.threshold.toFixed(6),
      pct(c.targetSensitivity),
      rule(c),
      c.promiseConfidence === undefined ? '—' : `${pct(c.promiseConfidence)}${c.fewPositives ? ' FEW POSITIVES' : ''}`,
      String(c.n),
      pct(c.sensitivity.value),
      pct(c.specificity.value),
      c.source,
      c.fittedAt,
    ]);
    const head = ['site', 'threshold', 'target sens', 'rule', 'promise', 'images', 'sens', 'spec', 'source', 'fitted'];
    io.out(`site calibrations of ${registry.name}@${chosen}\n\n${textTable([head, ...rows]).join('\n')}\n`);
    return ExitCode.ok;
  });
}

/** How the threshold was chosen, with the confidence it aimed for where the method uses one; fits
 * from before there was a choice were empirical. */
function rule(c: SiteCalibration): string {
  if (!c.method) return 'empirical (older fit)';
  if (c.method === 'empirical' || c.confidence === undefined) return c.method;
  return `${c.method} @ ${(c.confidence * 100).toFixed(0)}%`;
}
