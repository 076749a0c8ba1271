import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ARCHITECTURES, importBaseModel, type ArchitectureName, type BaseModelInfo } from '@pneumoscreen/model';

/** apps/cli/dist/commands -> repository root. */
const REPO_ROOT = path.resolve(__dirname, '../../../..');

const USAGE = `usage: pneumoscreen models import --arch ${Object.keys(ARCHITECTURES).join('|')} SOURCE [options]
  SOURCE              Keras .h5 weights (save_weights file, or a whole saved model) or a TF.js layers
                      model folder (model.json + shards); weights are matched by layer name
  --arch NAME         the architecture to build and fill
  --out DIR           folder to write (default models/base/<architecture>-<source sha256 prefix>)
  --input-size N      input height and width in pixels, N or HxW (default 224)
  --json              print the description of the imported model as JSON
`;

export interface ModelsImportIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

class UsageError extends Error {}

/** `pneumoscreen models import`. Exit codes: 0 imported, 2 a usage error; failures throw. */
export async function modelsImportCommand(argv: string[]): Promise<number> {
  return runModelsImportCommand(argv, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
}

export async function runModelsImportCommand(argv: string[], io: ModelsImportIo): Promise<number> {
  let opts: ReturnType<typeof parse>;
  try {
    opts = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw e;
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    io.out(USAGE);
    return 0;
  }
  const { dir, info } = await importBaseModel({ ...opts, outParent: path.join(REPO_ROOT, 'models/base') });
  io.out(opts.json ? JSON.stringify({ dir, ...info }, null, 2) + '\n' : report(dir, info));
  return 0;
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

function report(dir: string, info: BaseModelInfo): string {
  const format = { 'keras-h5-weights': 'Keras weights file', 'keras-h5-model': 'Keras saved model', 'tfjs-layers': 'TF.js layers folder' }[info.source.format];
  const [h, w] = info.preprocessing.inputSize;
  return [
    `imported ${info.architecture} from ${info.source.file} (${format}, sha256 ${info.source.sha256.slice(0, 16)}...)`,
    `  layers matched  ${info.layersMatched} (every ${info.architecture} layer with weights, up to ${info.featureLayer})`,
    `  parameters      ${info.params.toLocaleString('en-US')}`,
    `  ignored         ${info.ignoredLayers.length ? info.ignoredLayers.join(', ') : 'nothing'}`,
    `  input           ${h}x${w}x3, preprocessing ${info.preprocessing.mode}`,
    `  wrote           ${dir} (model.json, weights.bin, base.json)`,
    '',
  ].join('\n');
}
