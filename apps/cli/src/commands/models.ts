import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import type { ModelRegistryListing } from '@pneumoscreen/contracts';
import { INT8_ONNX_FILE, ModelRegistry, VersionExistsError, openModelRegistry } from '@pneumoscreen/model';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { runCalibrateCommand } from './models-calibrate';
import { modelsImportCommand } from './models-import';
import { runQuantizeCommand } from './models-quantize';
import { runGuardCommand } from './models-guard';
import { runScopeCommand } from './models-scope';
import { announceChannelChange, type ChannelChange } from './rollout';
import { listSiteCalibrations } from './models-calibrations';
import { textTable } from './text-table';
import { UsageError, parseOrExplain } from './usage';

const USAGE = `usage:
  pneumoscreen models list [--json]                     versions (newest first, with validation metrics) and channels
  pneumoscreen models publish DIR                       upload a version folder (or a folder whose CURRENT names one)
  pneumoscreen models promote VERSION [--channel NAME] [--fraction F]
                                                        point a channel (default production) at a published version
  pneumoscreen models canary VERSION --fraction F      send a share F of studies, chosen by study id, to VERSION
  pneumoscreen models rollback [--channel NAME]         point a channel (default production) back at its previous version
  pneumoscreen models calibrate [VERSION] (--data DIR | --from-feedback) [--site S] [--target-sensitivity T] [--json]
                                                        fit a version's threshold for a site (see models calibrate --help)
  pneumoscreen models calibrations [VERSION] [--json]   every site's threshold for a version (default: MODEL_CHANNEL's)
  pneumoscreen models import --arch vgg16|mobilenet FILE.h5|TFJS_DIR [--out DIR] [--json]
                                                        import ImageNet weights as a base model into the registry
                                                        (base-<architecture>), or a folder with --out (see models import --help)
  pneumoscreen models quantize DIR --data IMAGES [--json]
                                                        add a checked int8 model to a version folder before publishing
                                                        it (see models quantize --help)
  pneumoscreen models guard DIR --data IMAGES [--ages MIN-MAX] [--json]
                                                        fit the image-content guard of a version folder and record its
                                                        intended use (see models guard --help)
  pneumoscreen models scope VERSION --site S [--ages MIN-MAX] [--accept unlike-training-data] [--show]
                                                        widen a version's intended use for a site that validated it
                                                        (see models scope --help)

The registry is MODEL_REGISTRY (s3://bucket/prefix, reached with the S3_* settings, or a local
folder) and the model MODEL_NAME. promote, canary and rollback tell workers and ingest at once
through Redis (REDIS_URL, REDIS_PREFIX) and queue a model.rolled_out webhook.
`;

export interface ModelsCommandIo {
  config: () => AppConfig;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** `pneumoscreen models list|publish|promote|canary|rollback|calibrate|calibrations|import|quantize`. Exit codes: 0 done, 1 refused or failed, 2 a
 * usage error. */
export async function modelsCommand(argv: string[]): Promise<number> {
  // Importing keeps its own registry rules: --out needs none, and base models have their own name.
  if (argv[0] === 'import') return modelsImportCommand(argv.slice(1));
  // So does quantising: it works on a local version folder before it is published.
  if (argv[0] === 'quantize') return runQuantizeCommand(argv.slice(1), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  if (argv[0] === 'scope') return runScopeCommand(argv.slice(1), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  if (argv[0] === 'guard') return runGuardCommand(argv.slice(1), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  return runModelsCommand(argv, {
    config: () => loadConfig(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

export async function runModelsCommand(argv: string[], io: ModelsCommandIo): Promise<number> {
  if (argv[0] === 'calibrate') return runCalibrateCommand(argv.slice(1), io);
  if (['--help', '-h', 'help'].includes(argv[0] ?? '')) {
    io.out(USAGE);
    return 0;
  }
  const run = parseOrExplain(() => parse(argv), USAGE, io.err);
  if (!run) return 2;
  const config = io.config();
  if (!config.models.registry) {
    io.err('MODEL_REGISTRY is not set: name the registry, e.g. MODEL_REGISTRY=s3://pneumoscreen/models\n');
    return 1;
  }
  let s3: S3ObjectStore | undefined;
  const registry = openModelRegistry(config.models.registry, config.models.name, () => (s3 = new S3ObjectStore(config.models.registryS3)));
  try {
    return await run(registry, io, config);
  } finally {
    s3?.destroy();
  }
}

type Run = (registry: ModelRegistry, io: ModelsCommandIo, config: AppConfig) => Promise<number>;

function parse(argv: string[]): Run {
  const [sub, ...rest] = argv;
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
    return (r, io) => list(r, io, values.json);
  }
  if (sub === 'calibrations') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
    if (positionals.length > 1) throw new UsageError('calibrations takes one VERSION at most');
    return (r, io, c) => listSiteCalibrations(r, io, c, positionals[0], values.json);
  }
  if (sub === 'publish') {
    const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError('publish takes one version folder');
    return (r, io) => publish(r, io, positionals[0]!);
  }
  if (sub === 'promote') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { channel: { type: 'string', default: 'production' }, fraction: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('promote takes one version');
    const action = values.channel === 'canary' ? 'canary' : 'promote';
    const fraction = parseFraction(values.fraction);
    return (r, io, c) => setChannel(r, io, c, action, values.channel, positionals[0]!, fraction);
  }
  if (sub === 'canary') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { fraction: { type: 'string' } } });
    if (positionals.length !== 1) throw new UsageError('canary takes one version');
    if (values.fraction === undefined) throw new UsageError('canary needs --fraction F, the share of studies it takes');
    const fraction = parseFraction(values.fraction);
    return (r, io, c) => setChannel(r, io, c, 'canary', 'canary', positionals[0]!, fraction);
  }
  if (sub === 'rollback') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { channel: { type: 'string', default: 'production' } } });
    if (positionals.length) throw new UsageError('rollback takes no version: it goes back to the channel\'s previous one');
    return (r, io, c) => rollback(r, io, c, values.channel);
  }
  throw new UsageError(sub ? `unknown models command "${sub}"` : 'which models command?');
}

async function list(registry: ModelRegistry, io: ModelsCommandIo, json: boolean): Promise<number> {
  const listing = await registry.list();
  io.out(json ? JSON.stringify(listing, null, 2) + '\n' : describe(listing));
  return 0;
}

async function publish(registry: ModelRegistry, io: ModelsCommandIo, dir: string): Promise<number> {
  try {
    const record = await registry.publish(dir);
    const bytes = record.files.reduce((n, f) => n + f.size, 0);
    io.out(`published ${record.name}@${record.version} (${record.files.length} files, ${(bytes / 1e6).toFixed(1)} MB) to ${registry.location}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof VersionExistsError)) throw e;
    io.err(`${e.message}\n`);
    return 1;
  }
}

function parseFraction(raw: string | undefined): number | undefined {
  const fraction = raw === undefined ? undefined : Number(raw);
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) throw new UsageError('--fraction must be a number in (0, 1]');
  return fraction;
}

async function setChannel(
  registry: ModelRegistry,
  io: ModelsCommandIo,
  config: AppConfig,
  action: ChannelChange['action'],
  channel: string,
  version: string,
  fraction?: number,
): Promise<number> {
  // Workers on int8 cannot load a version without its int8 model: they would keep the old one and
  // fail every study pinned to the new one.
  if (config.worker.engine === 'onnxruntime-int8') {
    const record = await registry.getPublished(version);
    if (record && !record.files.some((f) => f.path === INT8_ONNX_FILE)) {
      io.err(`${version} has no int8 model (${INT8_ONNX_FILE}), which workers on ENGINE=onnxruntime-int8 need: publish a version made with TRAINING_INT8=true or 'models quantize', or move the workers to ENGINE=onnxruntime first; ${channel} is unchanged\n`);
      return 1;
    }
  }
  const { pointer, changed } = await registry.setChannel(channel, version, { fraction });
  const share = pointer.fraction === undefined ? '' : ` for ${Math.round(pointer.fraction * 1000) / 10}% of studies`;
  if (!changed) {
    io.out(`${channel} already points at ${version}${share}\n`);
    return 0;
  }
  io.out(`${channel}: ${pointer.previousVersion ?? '(none)'} -> ${version}${share}\n`);
  return announce(io, config, { action, model: registry.name, channel, pointer });
}

async function rollback(registry: ModelRegistry, io: ModelsCommandIo, config: AppConfig, channel: string): Promise<number> {
  const current = await registry.getChannel(channel);
  if (!current?.previousVersion) {
    io.err(`${channel} has ${current ? `no version before ${current.version}` : 'never pointed at a version'}: nothing to roll back to\n`);
    return 1;
  }
  return setChannel(registry, io, config, 'rollback', channel, current.previousVersion);
}

/** The channel has moved by now: a failure here only delays who hears of it. */
async function announce(io: ModelsCommandIo, config: AppConfig, change: ChannelChange): Promise<number> {
  try {
    const queued = await announceChannelChange(config, change, io.err);
    if (queued) io.out(`model.rolled_out webhook queued for ${queued} endpoint(s)\n`);
    return 0;
  } catch (e) {
    io.err(`${change.channel} has moved, but announcing it failed: ${(e as Error).message}\nworkers and ingest will notice within MODEL_CHANNEL_POLL_MS; no model.rolled_out webhook was queued\n`);
    return 1;
  }
}

function describe(l: ModelRegistryListing): string {
  const channels = Object.entries(l.channels).map(([c, p]) => [c, p.version, p.fraction === undefined ? '' : String(p.fraction), p.updatedAt, p.previousVersion ?? '']);
  const num = (x: number | undefined, digits: number) => (x === undefined ? '' : x.toFixed(digits));
  const versions = l.versions.map((v) => [
    v.version,
    v.architecture,
    v.createdAt,
    num(v.validation?.auc, 4),
    num(v.validation?.sensitivity, 4),
    num(v.validation?.specificity, 4),
    num(v.threshold, 4),
    v.parentVersion ?? '',
    v.channels.join(','),
    v.int8 ? 'yes' : '',
  ]);
  return [
    `model ${l.name} at ${l.registry}\n\n`,
    channels.length ? table(['channel', 'version', 'fraction', 'updated', 'previous'], channels) : 'no channels yet\n',
    '\n',
    versions.length
      ? table(['version', 'architecture', 'created', 'val AUC', 'sens', 'spec', 'threshold', 'parent', 'channels', 'int8'], versions)
      : 'no versions yet\n',
  ].join('');
}

function table(head: string[], rows: string[][]): string {
  return textTable([head, ...rows]).map((line) => `${line}\n`).join('');
}
