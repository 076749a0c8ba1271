import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '@pneumoscreen/config';
import {
  ARCHITECTURES,
  importBaseModel,
  importBaseModelToRegistry,
  openModelRegistry,
  type ArchitectureName,
  type BaseImportResult,
  type BaseModelInfo,
} from '@pneumoscreen/model';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { UsageError, parseOrExplain } from './usage';

/** apps/cli/dist/commands -> repository root. */
const REPO_ROOT = path.resolve(__dirname, '../../../..');

const USAGE = `usage: pneumoscreen models import --arch ${Object.keys(ARCHITECTURES).join('|')} SOURCE [options]
  SOURCE              Keras .h5 weights (save_weights file, or a whole saved model) or a TF.js layers
                      model folder (model.json + shards); weights are matched by layer name
  --arch NAME         the architecture to build and fill
  --out DIR           write a local folder there instead of storing it in the registry
  --input-size N      input height and width in pixels, N or HxW (default 224)
  --json              print the description of the imported model as JSON

With MODEL_REGISTRY set (and no --out) the base model is stored in the registry as a version of
model base-<architecture>, the version id derived from the weights (<architecture>-<sha256
prefix>[-HxW]): importing the same weights again finds it there and changes nothing. Training
takes it with \`pneumoscreen train --base VERSION\`. Without MODEL_REGISTRY the folder goes to
models/base/<version>.
`;

export interface ModelsImportIo {
  /** Read only when no --out is given. */
  config: () => AppConfig;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** `pneumoscreen models import`. Exit codes: 0 imported (or already in the registry), 2 a usage
 * error; failures throw. */
export async function modelsImportCommand(argv: string[]): Promise<number> {
  return runModelsImportCommand(argv, { config: () => loadConfig(), out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
}

export async function runModelsImportCommand(argv: string[], io: ModelsImportIo): Promise<number> {
  const opts = parseOrExplain(() => parse(argv), USAGE, io.err);
  if (!opts) return 2;
  if (opts === 'help') {
    io.out(USAGE);
    return 0;
  }
  const config = opts.outDir === undefined ? io.config() : null;
  if (!config?.models.registry) {
    const { dir, info } = await importBaseModel({ ...opts, outParent: path.join(REPO_ROOT, 'models/base') });
    io.out(opts.json ? JSON.stringify({ dir, ...info }, null, 2) + '\n' : report(info, `wrote           ${dir} (model.json, weights.bin, base.json)`));
    return 0;
  }
  const location = config.models.registry;
  let s3: S3ObjectStore | undefined;
  try {
    const result = await importBaseModelToRegistry(opts, (name) => openModelRegistry(location, name, () => (s3 ??= new S3ObjectStore(config.models.registryS3))));
    const { status, name, registry, info } = result;
    io.out(opts.json ? JSON.stringify({ status, name, registry, ...info }, null, 2) + '\n' : describe(result));
    return 0;
  } finally {
    s3?.destroy();
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      arch: { type: 'string' },
      out: { type: 'string' },
      'input-size': { type: 'string', default: '224' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help' as const;
  if (!values.arch) throw new UsageError('--arch is required');
  if (!Object.hasOwn(ARCHITECTURES, values.arch)) throw new UsageError(`unknown --arch "${values.arch}" (expected ${Object.keys(ARCHITECTURES).join(' or ')})`);
  if (positionals.length !== 1) throw new UsageError(`expected one SOURCE (.h5 file or TF.js folder), got ${positionals.length}`);
  return {
    arch: values.arch as ArchitectureName,
    source: positionals[0]!,
    outDir: values.out,
    inputSize: inputSize(values['input-size']),
    json: values.json,
  };
}

function inputSize(raw: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(raw.trim());
  if (!m) throw new UsageError(`invalid --input-size "${raw}" (expected N or HxW, e.g. 224)`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

function describe(result: BaseImportResult): string {
  const at = `${result.name}@${result.version}`;
  if (result.status === 'exists') {
    return `${at} is already in the registry at ${result.registry} (imported from ${result.info.source.file} at ${result.info.createdAt}); nothing changed\n`;
  }
  const bytes = result.record.files.reduce((n, f) => n + f.size, 0);
  return report(result.info, `published       ${at} (${result.record.files.length} files, ${(bytes / 1e6).toFixed(1)} MB) to ${result.registry}`);
}

function report(info: BaseModelInfo, stored: string): string {
  const format = { 'keras-h5-weights': 'Keras weights file', 'keras-h5-model': 'Keras saved model', 'tfjs-layers': 'TF.js layers folder' }[info.source.format];
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
