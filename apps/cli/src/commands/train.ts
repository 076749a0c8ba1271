import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { BACKBONES, openModelRegistry, resolveBaseModel, trainModel, type Backbone } from '@pneumoscreen/model';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { duration, trainReporter } from './train-progress';

/** apps/cli/dist/commands -> repository root. */
const REPO_ROOT = path.resolve(__dirname, '../../../..');

const USAGE = `usage: pneumoscreen train --data DIR --backbone mobilenet [options]
  --data DIR                 labelled images in NORMAL/ and PNEUMONIA/ folders (any depth)
  --backbone NAME            ${Object.keys(BACKBONES).join(' | ')}
  --out DIR                  registry folder for the new version (default models/releases)
  --target-sensitivity X     threshold is chosen on validation to reach this (default 0.95)
  --seed N                   validation split, augmentation, initialisation and shuffling seed (default 42)
  --epochs N                 phase 1 (head on the frozen backbone, Adam 1e-3): maximum epochs (default 100)
  --patience N               phase 1: stop after N epochs without better validation AUC (default 15)
  --fine-tune-blocks N       phase 2: top backbone blocks trained with the head, 0 skips it (default 2)
  --fine-tune-lr X           phase 2: Adam learning rate (default 1e-5; 1e-4 wrecks the ImageNet
                             features within ten steps)
  --fine-tune-epochs N       phase 2: maximum epochs (default 12)
  --fine-tune-patience N     phase 2: stop after N epochs without better validation AUC (default 3)
  --val-fraction X           share of patients held out for validation (default 0.18)
  --augment N                augmented copies (crop, contrast, exposure, gamma) per image (default 3);
                             validation's copies are the test-time augmentation views
  --shape-swap N             copies of each training image with the other class's film shape
                             (default 4; 0 = none): takes away the shortcut of body proportions
  --workers N                activation-extraction threads (default: CPU cores, at most 4)
  --cache-dir DIR            backbone activation cache (default .cache/activations)
  --base VERSION|DIR         the base model: a folder (model.json + weights), or a version that
                             \`models import\` stored in MODEL_REGISTRY, downloaded into
                             MODEL_CACHE_DIR (default models/base/<backbone folder>)
`;

/** `pneumoscreen train`: two-phase transfer learning into a new registry version. */
export async function trainCommand(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        data: { type: 'string' },
        backbone: { type: 'string' },
        out: { type: 'string' },
        'target-sensitivity': { type: 'string', default: '0.95' },
        seed: { type: 'string', default: '42' },
        epochs: { type: 'string', default: '100' },
        patience: { type: 'string', default: '15' },
        'val-fraction': { type: 'string', default: '0.18' },
        'fine-tune-blocks': { type: 'string', default: '2' },
        'fine-tune-epochs': { type: 'string', default: '12' },
        'fine-tune-patience': { type: 'string', default: '3' },
        'fine-tune-lr': { type: 'string', default: '1e-5' },
        augment: { type: 'string', default: '3' },
        'shape-swap': { type: 'string', default: '4' },
        workers: { type: 'string', default: String(Math.min(4, os.availableParallelism())) },
        'cache-dir': { type: 'string' },
        base: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return usageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.data) return usageError('--data is required');
  if (!values.backbone) return usageError('--backbone is required');
  const backbone = BACKBONES[values.backbone];
  if (!backbone) return usageError(`unknown backbone "${values.backbone}"`);
  let numbers;
  try {
    numbers = {
      targetSensitivity: number('--target-sensitivity', values['target-sensitivity'], (x) => x > 0 && x <= 1),
      seed: number('--seed', values.seed, Number.isSafeInteger),
      maxEpochs: number('--epochs', values.epochs, (x) => Number.isInteger(x) && x >= 1),
      patience: number('--patience', values.patience, (x) => Number.isInteger(x) && x >= 1),
      valFraction: number('--val-fraction', values['val-fraction'], (x) => x > 0 && x < 1),
      workers: number('--workers', values.workers, (x) => Number.isInteger(x) && x >= 1),
      augmentCopies: number('--augment', values.augment, (x) => Number.isInteger(x) && x >= 0),
      shapeSwapCopies: number('--shape-swap', values['shape-swap'], (x) => Number.isInteger(x) && x >= 0),
      fineTuneBlocks: number('--fine-tune-blocks', values['fine-tune-blocks'], (x) => Number.isInteger(x) && x >= 0 && x <= backbone.topBlocks.length),
      fineTuneEpochs: number('--fine-tune-epochs', values['fine-tune-epochs'], (x) => Number.isInteger(x) && x >= 0),
      fineTunePatience: number('--fine-tune-patience', values['fine-tune-patience'], (x) => Number.isInteger(x) && x >= 1),
      fineTuneLearningRate: number('--fine-tune-lr', values['fine-tune-lr'], (x) => x > 0 && x < 1),
    };
  } catch (err) {
    return usageError((err as Error).message);
  }

  const started = Date.now();
  const backboneDir = values.base === undefined ? path.join(REPO_ROOT, 'models/base', backbone.folder) : await baseModelDir(values.base, backbone);
  const result = await trainModel({
    dataDir: path.resolve(values.data),
    backbone: values.backbone,
    backboneDir,
    outDir: path.resolve(values.out ?? path.join(REPO_ROOT, 'models/releases')),
    cacheDir: path.resolve(values['cache-dir'] ?? path.join(REPO_ROOT, '.cache/activations')),
    codeVersion: codeVersion(),
    onProgress: trainReporter(process.stderr),
    ...numbers,
  });
  const lines = Object.entries(result.manifest.metrics).map(
    ([key, m]) =>
      `${key} (n=${m.n}): AUC ${m.auc.toFixed(4)}, sensitivity ${m.sensitivity.toFixed(4)}, ` +
      `specificity ${m.specificity.toFixed(4)}, accuracy ${m.accuracy.toFixed(4)}, threshold ${m.threshold.toFixed(4)}\n`,
  );
  process.stderr.write(`done in ${duration(Date.now() - started)}: ${result.versionDir}\n${lines.join('')}`);
  process.stdout.write(`${result.manifest.version}\n`);
  return 0;
}

/** Only a --base that is no folder reads the configuration, to find the registry. */
async function baseModelDir(ref: string, backbone: Backbone): Promise<string> {
  let s3: S3ObjectStore | undefined;
  try {
    return await resolveBaseModel(ref, backbone, () => {
      const config = loadConfig();
      const location = config.models.registry;
      if (!location) return null;
      return { open: (name) => openModelRegistry(location, name, () => (s3 ??= new S3ObjectStore(config.models.registryS3))), cacheDir: config.models.cacheDir };
    });
  } finally {
    s3?.destroy();
  }
}

/** The commit the code came from; "+dirty" when the working tree differs from it. */
function codeVersion(): string {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return git(['rev-parse', 'HEAD']) + (git(['status', '--porcelain']) ? '+dirty' : '');
  } catch {
    return 'unknown';
  }
}

function number(flag: string, raw: string | undefined, valid: (x: number) => boolean): number {
  const x = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(x) || !valid(x)) throw new Error(`invalid ${flag} "${raw}"`);
  return x;
}

function usageError(message: string): number {
  process.stderr.write(`train: ${message}\n\n${USAGE}`);
  return 2;
}
