import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BACKBONES, trainModel, type TrainProgress } from '@pneumoscreen/model';

/** apps/cli/dist/commands -> repository root. */
const REPO_ROOT = path.resolve(__dirname, '../../../..');

const USAGE = `usage: pneumoscreen train --data DIR --backbone mobilenet [options]
  --data DIR                 labelled images in NORMAL/ and PNEUMONIA/ folders (any depth)
  --backbone NAME            ${Object.keys(BACKBONES).join(' | ')}
  --out DIR                  registry folder for the new version (default models/releases)
  --target-sensitivity X     threshold is chosen on validation to reach this (default 0.95)
  --seed N                   validation split, initialisation and shuffling seed (default 42)
  --epochs N                 maximum head-training epochs (default 100)
  --patience N               stop after N epochs without better validation AUC (default 15)
  --val-fraction X           share of patients held out for validation (default 0.18)
  --augment N                augmented copies (crop, contrast, exposure) per training image (default 0)
  --workers N                feature-extraction threads (default: CPU cores, at most 4)
  --cache-dir DIR            backbone feature cache (default .cache/features)
  --backbone-dir DIR         backbone TF.js files (default models/base/<backbone folder>)
`;

/** `pneumoscreen train`: frozen-backbone transfer learning into a new registry version. */
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
        augment: { type: 'string', default: '0' },
        workers: { type: 'string', default: String(Math.min(4, os.availableParallelism())) },
        'cache-dir': { type: 'string' },
        'backbone-dir': { type: 'string' },
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
    };
  } catch (err) {
    return usageError((err as Error).message);
  }

  const started = Date.now();
  const result = await trainModel({
    dataDir: path.resolve(values.data),
    backbone: values.backbone,
    backboneDir: path.resolve(values['backbone-dir'] ?? path.join(REPO_ROOT, 'models/base', backbone.folder)),
    outDir: path.resolve(values.out ?? path.join(REPO_ROOT, 'models/releases')),
    cacheDir: path.resolve(values['cache-dir'] ?? path.join(REPO_ROOT, '.cache/features')),
    codeVersion: codeVersion(),
    onProgress: reporter(),
    ...numbers,
  });
  const v = result.manifest.metrics['validation']!;
  process.stderr.write(
    `done in ${seconds(Date.now() - started)}: ${result.versionDir}\n` +
      `validation (n=${v.n}): AUC ${v.auc.toFixed(4)}, sensitivity ${v.sensitivity.toFixed(4)}, ` +
      `specificity ${v.specificity.toFixed(4)}, accuracy ${v.accuracy.toFixed(4)}, threshold ${v.threshold.toFixed(4)}\n`,
  );
  process.stdout.write(`${result.manifest.version}\n`);
  return 0;
}

function reporter(): (e: TrainProgress) => void {
  let lastExtractLine = 0;
  return (e) => {
    switch (e.phase) {
      case 'list':
        return log(`[list] ${e.images} images`);
      case 'split':
        return log(`[split] train ${e.train} images / ${e.trainPatients} patients, validation ${e.val} images / ${e.valPatients} patients`);
      case 'extract': {
        const fresh = e.done - e.fromCache;
        const finished = e.done === e.total;
        if (!finished && Date.now() - lastExtractLine < 5000 && fresh > 0) return;
        lastExtractLine = Date.now();
        const rate = fresh > 0 ? fresh / (e.elapsedMs / 1000) : 0;
        const left = rate > 0 ? ` ~${seconds(((e.total - e.done) / rate) * 1000)} left` : '';
        return log(`[extract ${e.pass}] ${e.done}/${e.total} (${e.fromCache} cached) ${rate.toFixed(1)} img/s${left}`);
      }
      case 'train': {
        const perEpoch = e.elapsedMs / e.epoch;
        return log(
          `[train] epoch ${e.epoch}/${e.maxEpochs} loss ${e.loss.toFixed(4)} val AUC ${e.valAuc.toFixed(4)}` +
            `${e.best ? ' *' : ''} (at most ~${seconds(perEpoch * (e.maxEpochs - e.epoch))} left)`,
        );
      }
      case 'export':
        return log(`[export] ${e.dir}`);
    }
  };
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

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
