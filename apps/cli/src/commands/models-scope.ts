import type { Command } from 'commander';
import { z } from 'zod';
import { SiteName, SiteScope } from '@pneumoscreen/contracts';
import { openConfiguredRegistry } from './configured-registry';
import { ExitCode, UsageError, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { ageRange } from '../program/options';

const Options = z.object({
  version: z.string(),
  site: SiteName,
  ages: ageRange('0-120').optional(),
  accept: z.array(
    z.literal('unlike-training-data', {
      errorMap: (_issue, ctx) => ({
        message: `takes unlike-training-data only, not "${String(ctx.data)}": lateral views, other body parts and non-radiographs stay refused`,
      }),
    }),
  ),
  note: z.string().optional(),
  show: z.boolean().default(false),
  json: z.boolean().default(false),
});

export function configureModelsScopeCommand(models: Command, io: CliIo): void {
  models
    .command('scope')
    .description("widen a version's intended use for a site that validated it (or --show the site's record)")
    .argument('<version>', 'a published version of the registry (MODEL_REGISTRY)')
    .requiredOption('--site <s>', 'the site (the bucket its studies arrive in) that validated VERSION on its own population')
    .option(
      '--ages <min-max>',
      "the population this site's DICOM headers are checked against, instead of the version's (e.g. 0-120 once the site has validated the version on adults)",
    )
    .option(
      '--accept <reason>',
      'content reasons the site takes responsibility for: its images are assessed anyway (unlike-training-data); lateral, not-chest and not-radiograph cannot be widened, the model was never made for them',
      (r: string, all: string[]) => [...all, r],
      [] as string[],
    )
    .option('--note <text>', 'how the site validated it, kept with the record (no patient data)')
    .option('--show', "print the site's record instead of writing one")
    .option('--json', 'print the record as JSON')
    .addHelpText(
      'after',
      `
Writes <model>/scopes/<VERSION>/<S>.json beside the version (the newest record replaces the last);
workers read it within MODEL_CHANNEL_POLL_MS (30 s when polling is off), as they do calibrations.
`,
    )
    .action(commandAction(io, Options, scopeCommand));
}

/** `pneumoscreen models scope`: 0 done, 1 no record to show. */
async function scopeCommand(request: z.output<typeof Options>, io: CliIo): Promise<number> {
  if (!request.show && !request.ages && request.accept.length === 0) throw new UsageError('give --ages or --accept (or --show)');
  const population = request.ages;
  const accept = request.accept;
  const { registry, close } = openConfiguredRegistry(io.config());
  try {
    if (request.show) {
      const found = await registry.scopes.get(request.version, request.site);
      if (!found) {
        io.err(`site ${request.site} has not widened the intended use of ${request.version}\n`);
        return ExitCode.failed;
      }
      io.out(request.json ? JSON.stringify(found) + '\n' : describe(found));
      return ExitCode.ok;
    }
    const record = SiteScope.parse({
      version: request.version,
      site: request.site,
      ...(population ? { population } : {}),
      accept,
      ...(request.note ? { note: request.note } : {}),
      updatedAt: new Date().toISOString(),
    });
    await registry.scopes.put(record);
    io.out(request.json ? JSON.stringify(record) + '\n' : `recorded for ${request.site}: ${describe(record)}`);
    return ExitCode.ok;
  } finally {
    close();
  }
}

function describe(s: SiteScope): string {
  const ages = s.population ? `ages ${s.population.minAgeYears}-${s.population.maxAgeYears}` : "the version's ages";
  return `${s.version} at ${s.site}: ${ages}; accepts ${s.accept.join(', ') || 'no content reason'}${s.note ? ` (${s.note})` : ''}, ${s.updatedAt}\n`;
}
