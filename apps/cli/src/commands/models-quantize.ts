import { parseArgs } from 'node:util';
import {
  INT8_ONNX_FILE,
  INT8_REPORT_FILE,
  QuantizationRejectedError,
  listDataset,
  mulberry32,
  patientSplit,
  shuffle,
  quantizeVersionFromFiles,
  readManifest,
  type Int8Report,
  type LabelledImage,
} from '@pneumoscreen/model';
import { liveLine } from './live-line';
import { UsageError, parseCommandLine } from './usage';

export const QUANTIZE_USAGE = `usage: pneumoscreen models quantize DIR --data IMAGES [--calibration N] [--check N] [--weight-bits 7|8]
                                  [--min-agreement A] [--json]
  DIR                 a version folder (manifest.json, model.json), before it is published
  --data IMAGES       labelled X-rays in NORMAL/ and PNEUMONIA/ folders, e.g. the training data
  --calibration N     images that set the int8 value ranges (default 256)
  --check N           images of other patients on which the int8 and float models are compared
                      (default 512)
  --weight-bits 7|8   7 (default) cannot saturate on any x86 host; 8 is a little more
                      exact where the CPU has VNNI or AMX, and may saturate on older ones
  --min-agreement A   least share of check images both models must call alike at the version's
                      threshold (default 0.98); below it nothing is written
  --json              print the report as one JSON object

Writes ${INT8_ONNX_FILE} (static int8: uint8 activations, int8 weights per output channel) and
${INT8_REPORT_FILE} (how it was made and how far it strays from the float model) into DIR. Publish
DIR afterwards: the files travel with the version, and workers with ENGINE=onnxruntime-int8 use it.
`;

export interface QuantizeIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** `pneumoscreen models quantize`. Exit codes: 0 written, 1 refused or failed, 2 a usage error. */
export async function runQuantizeCommand(argv: string[], io: QuantizeIo): Promise<number> {
  const line = parseCommandLine(argv, QUANTIZE_USAGE, () => parse(argv), io);
  if ('exit' in line) return line.exit;
  const { request } = line;
  const manifest = await readManifest(request.dir);
  const images = await listDataset(request.data);
  const { calibration, check } = pickImages(images, request.calibration, request.check);
  const progress = liveLine(process.stderr);
  progress.keep(`quantising ${manifest.version}: ${calibration.length} calibration images, ${check.length} check images of other patients, ${request.weightBits}-bit weights`);
  let report: Int8Report;
  try {
    report = await quantizeVersionFromFiles(request.dir, {
      calibration,
      check,
      weightBits: request.weightBits,
      minAgreement: request.minAgreement,
      onProgress: (stage, done, total) => progress.update(`  ${stage === 'calibrate' ? 'calibrating' : 'comparing with float'}: ${done}/${total}`),
    });
  } catch (e) {
    if (!(e instanceof QuantizationRejectedError)) throw e;
    progress.keep(describe(e.report));
    io.err(`refused: ${e.message}\n`);
    return 1;
  }
  progress.keep(describe(report));
  if (request.json) io.out(JSON.stringify(report) + '\n');
  else io.out(`wrote ${INT8_ONNX_FILE} and ${INT8_REPORT_FILE} into ${request.dir}\n`);
  return 0;
}

/**
 * Calibration and check images from different patients: the patient split that training uses,
 * half and half, then `n` of each side drawn at random (seeded, so a rerun picks the same).
 */
export function pickImages(images: LabelledImage[], calibration: number, check: number): { calibration: LabelledImage[]; check: LabelledImage[] } {
  const split = patientSplit(images, 0.5, 1);
  const random = mulberry32(1);
  const take = (side: number[], n: number) => shuffle(side, random).slice(0, n).map((i) => images[i]!);
  const chosen = { calibration: take(split.train, calibration), check: take(split.val, check) };
  if (chosen.calibration.length === 0 || chosen.check.length === 0) throw new Error(`too few images to quantise with: ${images.length}`);
  return chosen;
}

function describe(r: Int8Report): string {
  const auc = r.auc ? `; ROC AUC ${r.auc.float32.toFixed(4)} float, ${r.auc.int8.toFixed(4)} int8` : '';
  return [
    `  decisions alike at threshold ${r.threshold.toFixed(3)}: ${(r.decisionAgreement * 100).toFixed(1)}% of ${r.checkImages} check images${auc}`,
    `  probability difference: mean ${r.meanProbabilityDifference.toFixed(4)}, max ${r.maxProbabilityDifference.toFixed(4)}`,
    `  size: ${mb(r.sizes.float32)} float, ${mb(r.sizes.int8)} int8`,
  ].join('\n');
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      calibration: { type: 'string', default: '256' },
      check: { type: 'string', default: '512' },
      'weight-bits': { type: 'string', default: '7' },
      'min-agreement': { type: 'string', default: '0.98' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('name one version folder');
  if (!values.data) throw new UsageError('--data is required: the images to calibrate and check with');
  const count = (v: string, flag: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, not "${v}"`);
    return n;
  };
  const bits = values['weight-bits'];
  if (bits !== '7' && bits !== '8') throw new UsageError(`--weight-bits must be 7 or 8, not "${bits}"`);
  const minAgreement = Number(values['min-agreement']);
  if (!(minAgreement >= 0 && minAgreement <= 1)) throw new UsageError(`--min-agreement must be between 0 and 1, not "${values['min-agreement']}"`);
  return {
    dir: positionals[0]!,
    data: values.data,
    calibration: count(values.calibration!, '--calibration'),
    check: count(values.check!, '--check'),
    weightBits: Number(bits) as 7 | 8,
    minAgreement,
    json: values.json!,
  };
}
