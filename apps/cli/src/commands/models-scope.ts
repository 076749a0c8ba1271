import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { SiteName, SiteScope } from '@pneumoscreen/contracts';
import { openConfiguredRegistry } from './configured-registry';
import { UsageError, parseCommandLine } from './usage';

export const SCOPE_USAGE = `usage: pneumoscreen models scope VERSION --site S [--ages MIN-MAX] [--accept unlike-training-data] [--note TEXT] [--json]
       pneumoscreen models scope VERSION --site S --show [--json]
  VERSION         a published version of the registry (MODEL_REGISTRY)
  --site S        the site (the bucket its studies arrive in) that validated VERSION on its own
                  population
  --ages MIN-MAX  the population this site's DICOM headers are checked against, instead of the
                  version's (e.g. 0-120 once the site has validated the version on adults)
  --accept R      content reasons the site takes responsibility for: its images are assessed
                  anyway (unlike-training-data); lateral, not-chest and not-radiograph cannot be
                  widened, the model was never made for them
  --note TEXT     how the site validated it, kept with the record (no patient data)
  --show          print the site's record instead of writing one

Writes <model>/scopes/<VERSION>/<S>.json beside the version (the newest record replaces the last);
workers read it within MODEL_CHANNEL_POLL_MS (30 s when polling is off), as they do calibrations.
`;

/** \`pneumoscreen models scope\`. Exit codes: 0 done, 1 failed, 2 a usage error. */
export async function runScopeCommand(argv: string[], io: { out: (t: string) => void; err: (t: string) => void }): Promise<number> {
  const line = parseCommandLine(argv, SCOPE_USAGE, () => parse(argv), io);
  if ('exit' in line) return line.exit;
  const { request } = line;
  const { registry, close } = openConfiguredRegistry(loadConfig());
  try {
    if (request.show) {
      const found = await registry.scopes.get(request.version, request.site);
      if (!found) {
        io.err(`site ${request.site} has not widened the intended use of ${request.version}\n`);
        return 1;
      }
      io.out(request.json ? JSON.stringify(found) + '\n' : describe(found));
      return 0;
    }
    const record = SiteScope.parse({
      version: request.version,
      site: request.site,
      ...(request.population ? { population: request.population } : {}),
      accept: request.accept,
      ...(request.note ? { note: request.note } : {}),
      updatedAt: new Date().toISOString(),
    });
    await registry.scopes.put(record);
    io.out(request.json ? JSON.stringify(record) + '\n' : `recorded for ${request.site}: ${describe(record)}`);
    return 0;
  } finally {
    close();
  }
}

function describe(s: SiteScope): string {
  const ages = s.population ? `ages ${s.population.minAgeYears}-${s.population.maxAgeYears}` : "the version's ages";
  return `${s.version} at ${s.site}: ${ages}; accepts ${s.accept.join(', ') || 'no content reason'}${s.note ? ` (${s.note})` : ''}, ${s.updatedAt}\n`;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { site: { type: 'string' }, ages: { type: 'string' }, accept: { type: 'string', multiple: true, default: [] }, note: { type: 'string' }, show: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new UsageError('name one published VERSION');
  const site = SiteName.safeParse(values.site ?? '');
  if (!values.site || !site.success) throw new UsageError(`--site is required and ${site.success ? '' : site.error.issues[0]!.message}`);
  let population: { minAgeYears: number; maxAgeYears: number } | undefined;
  if (values.ages !== undefined) {
    const m = /^(\d{1,3})-(\d{1,3})$/.exec(values.ages);
    if (!m || Number(m[1]) > Number(m[2])) throw new UsageError(`--ages must be MIN-MAX in years, e.g. 0-120, not "${values.ages}"`);
    population = { minAgeYears: Number(m[1]), maxAgeYears: Number(m[2]) };
  }
  const accept = values.accept!;
  for (const r of accept) if (r !== 'unlike-training-data') throw new UsageError(`--accept takes unlike-training-data only, not "${r}": lateral views, other body parts and non-radiographs stay refused`);
  if (!values.show && !population && accept.length === 0) throw new UsageError('give --ages or --accept (or --show)');
  return { version: positionals[0]!, site: values.site, population, accept: accept as Array<'unlike-training-data'>, note: values.note, show: values.show!, json: values.json! };
}
