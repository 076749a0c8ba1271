import type { Command } from 'commander';
import { z } from 'zod';
import { repoPath } from '@pneumoscreen/config';
import {
  ARCHITECTURES,
  importBaseModel,
  importBaseModelToRegistry,
  type ArchitectureName,
  type BaseImportResult,
  type BaseModelInfo,
} from '@pneumoscreen/training';
import { openModelRegistry } from '@pneumoscreen/registry';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { ExitCode, commandAction } from '../program/action';
import type { CliIo } from '../program/io';
import { oneOf } from '../program/options';

/** apps/cli/dist/commands -> repository root. */

const Options = z.object({
  source: z.string(),
  arch: oneOf(Object.keys(ARCHITECTURES) as [ArchitectureName, ...ArchitectureName[]]),
  out: z.string().optional(),
  inputSize: z.string().transform((raw, ctx): [number, number] => {
    const m = /^(\d+)(?:x(\d+))?$/.exec(raw.trim());
    if (m) return [Number(m[1]), Number(m[2] ?? m[1])];
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be N or HxW, e.g. 224, not "${raw}"` });
    return z.NEVER;
  }),
  json: z.boolean().default(false),
});

export function configureModelsImportCommand(models: Command, io: CliIo): void {
  models
    .command('import')
    .description('import ImageNet weights as a base model into the registry (base-<architecture>), or a folder with --out')
    .argument(
      '<source>',
      'Keras .h5 weights (save_weights file, or a whole saved model) or a TF.js layers model folder (model.json + shards); weights are matched by layer name',
    )
    .requiredOption('--arch <name>', `the architecture to build and fill: ${Object.keys(ARCHITECTURES).join(' or ')}`)
    .option('--out <dir>', 'write a local folder there instead of storing it in the registry')
    .option('--input-size <n>', 'input height and width in pixels, N or HxW', '224')
    .option('--json', 'print the description of the imported model as JSON')
    .addHelpText(
      'after',
      `
With MODEL_REGISTRY set (and no --out) the base model is stored in the registry as a version of
model base-<architecture>, the version id derived from the weights (<architecture>-<sha256
prefix>[-HxW]): importing the same weights again finds it there and changes nothing. Training
takes it with \`pneumoscreen train --base VERSION\`. Without MODEL_REGISTRY the folder goes to
models/base/<version>.
`,
    )
    .action(commandAction(io, Options, importCommand));
}

/** `pneumoscreen models import`: 0 imported (or already in the registry). */
async function importCommand({ source, arch, out: outDir, inputSize, json }: z.output<typeof Options>, io: CliIo): Promise<number> {
  const opts = { arch, source, outDir, inputSize };
  const config = outDir === undefined ? io.config() : null;
  if (!config?.models.registry) {
    const { dir, info } = await importBaseModel({ ...opts, outParent: repoPath('models/base') });
    io.out(
      json ? JSON.stringify({ dir, ...info }, null, 2) + '\n' : report(info, `wrote           ${dir} (model.json, weights.bin, base.json)`),
    );
    return ExitCode.ok;
  }
  const location = config.models.registry;
  let s3: S3ObjectStore | undefined;
  try {
    const result = await importBaseModelToRegistry(opts, (name) =>
      openModelRegistry(location, name, () => (s3 ??= new S3ObjectStore(config.models.registryS3))),
    );
    const { status, name, registry, info } = result;
    io.out(json ? JSON.stringify({ status, name, registry, ...info }, null, 2) + '\n' : describe(result));
    return ExitCode.ok;
  } finally {
    s3?.destroy();
  }
}

function describe(result: BaseImportResult): string {
  const at = `${result.name}@${result.version}`;
  if (result.status === 'exists') {
    return `${at} is already in the registry at ${result.registry} (imported from ${result.info.source.file} at ${result.info.createdAt}); nothing changed\n`;
  }
  const bytes = result.record.files.reduce((n, f) => n + f.size, 0);
  return report(
    result.info,
    `published       ${at} (${result.record.files.length} files, ${(bytes / 1e6).toFixed(1)} MB) to ${result.registry}`,
  );
}

function report(info: BaseModelInfo, stored: string): string {
  const format = { 'keras-h5-weights': 'Keras weights file', 'keras-h5-model': 'Keras saved model', 'tfjs-layers': 'TF.js layers folder' }[
    info.source.format
  ];
  const [h, w] = info.preprocessing.inputSize;
  return [
    `imported ${info.architecture} from ${info.source.file} (${format}, sha256 ${info.source.sha256.slice(0, 16)}...)`,
    `  layers matched  ${info.layersMatched} (every ${info.architecture} layer with weights, up to ${info.featureLayer})`,
    `  parameters      ${info.params.toLocaleString('en-US')}`,
    `  ignored         ${info.ignoredLayers.length ? info.ignoredLayers.join(', ') : 'nothing'}`,
    `  input           ${h}x${w}x3, preprocessing ${info.preprocessing.mode}`,
    `  ${stored}`,
    '',
  ].join('\n');
}
