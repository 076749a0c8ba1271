import type { Command } from 'commander';
import { z } from 'zod';
import { INT8_ONNX_FILE, INT8_REPORT_FILE, readManifest } from '@pneumoscreen/model-format';
import { QuantizationRejectedError, quantizeVersionFromFiles, type Int8Report } from '@pneumoscreen/inference';
import { listDataset, mulberry32, patientSplit, shuffle, type LabelledImage } from '@pneumoscreen/evaluation';
import { liveLine } from './live-line';
import { ExitCode, commandAction } from '../program/action';
import { errOutput, type CliIo } from '../program/io';
import { numberText, oneOf, wholeNumber } from '../program/options';

const Options = z.object({
  dir: z.string(),
  data: z.string(),
  calibration: wholeNumber(1),
  check: wholeNumber(1),
  weightBits: oneOf(['7', '8']).transform((b) => Number(b) as 7 | 8),
  minAgreement: numberText((x) => x >= 0 && x <= 1, 'between 0 and 1'),
  json: z.boolean().default(false),
});

export function configureModelsQuantizeCommand(models: Command, io: CliIo): void {
  models
    .command('quantize')
    .description('add a checked int8 model to a version folder before publishing it')
    .argument('<dir>', 'a version folder (manifest.json, model.json), before it is published')
    .requiredOption('--data <images>', 'labelled X-rays in NORMAL/ and PNEUMONIA/ folders, e.g. the training data')
    .option('--calibration <n>', 'images that set the int8 value ranges', '256')
    .option('--check <n>', 'images of other patients on which the int8 and float models are compared', '512')
    .option(
      '--weight-bits <bits>',
      '7 cannot saturate on any x86 host; 8 is a little more exact where the CPU has VNNI or AMX, and may saturate on older ones',
      '7',
    )
    .option(
      '--min-agreement <a>',
      "least share of check images both models must call alike at the version's threshold; below it nothing is written",
      '0.98',
    )
    .option('--json', 'print the report as one JSON object')
    .addHelpText(
      'after',
      `
Writes ${INT8_ONNX_FILE} (static int8: uint8 activations, int8 weights per output channel) and
${INT8_REPORT_FILE} (how it was made and how far it strays from the float model) into DIR. Publish
DIR afterwards: the files travel with the version, and workers with ENGINE=onnxruntime-int8 use it.
`,
    )
    .action(commandAction(io, Options, quantizeCommand));
}

/** `pneumoscreen models quantize`. Exit codes: 0 written, 1 refused or failed, 2 a usage error. */
async function quantizeCommand(request: z.output<typeof Options>, io: CliIo): Promise<number> {
  const manifest = await readManifest(request.dir);
  const images = await listDataset(request.data);
  const { calibration, check } = pickImages(images, request.calibration, request.check);
  const progress = liveLine(errOutput(io));
  progress.keep(
    `quantising ${manifest.version}: ${calibration.length} calibration images, ${check.length} check images of other patients, ${request.weightBits}-bit weights`,
  );
  let report: Int8Report;
  try {
    report = await quantizeVersionFromFiles(request.dir, {
      calibration,
      check,
      weightBits: request.weightBits,
      minAgreement: request.minAgreement,
      onProgress: (stage, done, total) =>
        progress.update(`  ${stage === 'calibrate' ? 'calibrating' : 'comparing with float'}: ${done}/${total}`),
    });
  } catch (e) {
    if (!(e instanceof QuantizationRejectedError)) throw e;
    progress.keep(describe(e.report));
    io.err(`refused: ${e.message}\n`);
    return ExitCode.failed;
  }
  progress.keep(describe(report));
  if (request.json) io.out(JSON.stringify(report) + '\n');
  else io.out(`wrote ${INT8_ONNX_FILE} and ${INT8_REPORT_FILE} into ${request.dir}\n`);
  return ExitCode.ok;
}

/**
 * Calibration and check images from different patients: the patient split that training uses,
 * half and half, then `n` of each side drawn at random (seeded, so a rerun picks the same).
 */
export function pickImages(
  images: LabelledImage[],
  calibration: number,
  check: number,
): { calibration: LabelledImage[]; check: LabelledImage[] } {
  const split = patientSplit(images, 0.5, 1);
  const random = mulberry32(1);
  const take = (side: number[], n: number) =>
    shuffle(side, random)
      .slice(0, n)
      .map((i) => images[i]!);
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
