import type { Command } from 'commander';
import { z } from 'zod';
import type { AppConfig } from '@pneumoscreen/config';
import type { ModelRegistryListing } from '@pneumoscreen/contracts';
import { INT8_ONNX_FILE } from '@pneumoscreen/model-format';
import { VersionExistsError, type ModelRegistry } from '@pneumoscreen/registry';
import { ExitCode, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { fraction } from '../program/options';
import { withConfiguredRegistry } from './configured-registry';
import { configureModelsCalibrateCommand } from './models-calibrate';
import { configureModelsCalibrationsCommand } from './models-calibrations';
import { configureModelsGuardCommand } from './models-guard';
import { configureModelsImportCommand } from './models-import';
import { configureModelsQuantizeCommand } from './models-quantize';
import { configureModelsScopeCommand } from './models-scope';
import { announceChannelChange, type ChannelChange } from './rollout';
import { textTable } from './text-table';

const MODELS_HELP = `
The registry is MODEL_REGISTRY (s3://bucket/prefix, reached with the S3_* settings, or a local
folder) and the model MODEL_NAME. promote, canary and rollback tell workers and ingest at once
through Redis (REDIS_URL, REDIS_PREFIX) and queue a model.rolled_out webhook.
`;

/** `pneumoscreen models ...`: the model registry and the version folders made for it. */
export function configureModelsCommand(program: Command, io: CliIo): void {
  const models = program
    .command('models')
    .description('the model registry: versions, channels, site calibrations and scopes')
    .addHelpText('after', MODELS_HELP);
  models
    .command('list')
    .description('versions (newest first, with validation metrics) and channels')
    .option('--json', 'print the listing as JSON')
    .action(commandAction(io, z.object({ json: z.boolean().default(false) }), (o, io) => withRegistry(io, (r) => list(r, io, o.json))));
  models
    .command('publish')
    .description('upload a version folder (or a folder whose CURRENT names one)')
    .argument('<dir>', 'the version folder')
    .action(commandAction(io, z.object({ dir: z.string() }), (o, io) => withRegistry(io, (r) => publish(r, io, o.dir))));
  models
    .command('promote')
    .description('point a channel (default production) at a published version')
    .argument('<version>', 'a published version')
    .option('--channel <name>', 'the channel to move', 'production')
    .option('--fraction <f>', 'the share of studies, chosen by study id, the channel takes')
    .action(
      commandAction(io, z.object({ version: z.string(), channel: z.string(), fraction: fraction().optional() }), (o, io) =>
        withRegistry(io, (r, c) => setChannel(r, io, c, o.channel === 'canary' ? 'canary' : 'promote', o.channel, o.version, o.fraction)),
      ),
    );
  models
    .command('canary')
    .description('send a share F of studies, chosen by study id, to VERSION')
    .argument('<version>', 'a published version')
    .requiredOption('--fraction <f>', 'the share of studies it takes, in (0, 1]')
    .action(
      commandAction(io, z.object({ version: z.string(), fraction: fraction() }), (o, io) =>
        withRegistry(io, (r, c) => setChannel(r, io, c, 'canary', 'canary', o.version, o.fraction)),
      ),
    );
  models
    .command('rollback')
    .description('point a channel (default production) back at its previous version')
    .option('--channel <name>', 'the channel to move back', 'production')
    .action(commandAction(io, z.object({ channel: z.string() }), (o, io) => withRegistry(io, (r, c) => rollback(r, io, c, o.channel))));
  configureModelsCalibrateCommand(models, io);
  configureModelsCalibrationsCommand(models, io);
  configureModelsImportCommand(models, io);
  configureModelsQuantizeCommand(models, io);
  configureModelsGuardCommand(models, io);
  configureModelsScopeCommand(models, io);
}

function withRegistry(io: CliIo, run: (registry: ModelRegistry, config: AppConfig) => Promise<number>): Promise<number> {
  const config = io.config();
  return withConfiguredRegistry(config, (registry) => run(registry, config));
}

async function list(registry: ModelRegistry, io: CliIo, json: boolean): Promise<number> {
  const listing = await registry.list();
  io.out(json ? JSON.stringify(listing, null, 2) + '\n' : describe(listing));
  return ExitCode.ok;
}

async function publish(registry: ModelRegistry, io: CliIo, dir: string): Promise<number> {
  try {
    const record = await registry.publish(dir);
    const bytes = record.files.reduce((n, f) => n + f.size, 0);
    io.out(
      `published ${record.name}@${record.version} (${record.files.length} files, ${(bytes / 1e6).toFixed(1)} MB) to ${registry.location}\n`,
    );
    return ExitCode.ok;
  } catch (e) {
    if (!(e instanceof VersionExistsError)) throw e;
    io.err(`${e.message}\n`);
    return ExitCode.failed;
  }
}

async function setChannel(
  registry: ModelRegistry,
  io: CliIo,
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
      io.err(
        `${version} has no int8 model (${INT8_ONNX_FILE}), which workers on ENGINE=onnxruntime-int8 need: publish a version made with TRAINING_INT8=true or 'models quantize', or move the workers to ENGINE=onnxruntime first; ${channel} is unchanged\n`,
      );
      return ExitCode.failed;
    }
  }
  const { pointer, changed } = await registry.setChannel(channel, version, { fraction });
  const share = pointer.fraction === undefined ? '' : ` for ${Math.round(pointer.fraction * 1000) / 10}% of studies`;
  if (!changed) {
    io.out(`${channel} already points at ${version}${share}\n`);
    return ExitCode.ok;
  }
  io.out(`${channel}: ${pointer.previousVersion ?? '(none)'} -> ${version}${share}\n`);
  return announce(io, config, { action, model: registry.name, channel, pointer });
}

async function rollback(registry: ModelRegistry, io: CliIo, config: AppConfig, channel: string): Promise<number> {
  const current = await registry.getChannel(channel);
  if (!current?.previousVersion) {
    io.err(`${channel} has ${current ? `no version before ${current.version}` : 'never pointed at a version'}: nothing to roll back to\n`);
    return ExitCode.failed;
  }
  return setChannel(registry, io, config, 'rollback', channel, current.previousVersion);
}

/** The channel has moved by now: a failure here only delays who hears of it. */
async function announce(io: CliIo, config: AppConfig, change: ChannelChange): Promise<number> {
  try {
    const queued = await announceChannelChange(config, change, io.err);
    if (queued) io.out(`model.rolled_out webhook queued for ${queued} endpoint(s)\n`);
    return ExitCode.ok;
  } catch (e) {
    io.err(
      `${change.channel} has moved, but announcing it failed: ${(e as Error).message}\nworkers and ingest will notice within MODEL_CHANNEL_POLL_MS; no model.rolled_out webhook was queued\n`,
    );
    return ExitCode.failed;
  }
}

function describe(l: ModelRegistryListing): string {
  const channels = Object.entries(l.channels).map(([c, p]) => [
    c,
    p.version,
    p.fraction === undefined ? '' : String(p.fraction),
    p.updatedAt,
    p.previousVersion ?? '',
  ]);
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
  return textTable([head, ...rows])
    .map((line) => `${line}\n`)
    .join('');
}
