import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { preprocess } from '@pneumoscreen/imaging';
import { OnnxEngine } from '../engine/onnx-engine';
import { scoreItems } from '../score-items';
import { rocAuc } from '@pneumoscreen/evaluation';
import { INT8_ONNX_FILE, INT8_REPORT_FILE, readManifest } from '@pneumoscreen/model-format';
import type { LabelledImage } from '@pneumoscreen/evaluation';
import { measureActivationRanges } from './activation-ranges';
import { modelDirGraph, encodeModel, quantizeModel, valuesToCalibrate, type WeightBits } from '@pneumoscreen/onnx';

/** Images per comparison run. */
const CHECK_BATCH = 8;
const METHOD =
  'uint8 activations, one range per tensor (min/max over the calibration images); int8 weights per output channel; bias correction';

export interface QuantizeVersionInput {
  /** Preprocessed images (as the version's preprocessing makes them) that set the value ranges. */
  calibration: readonly Float32Array[];
  /** Other images, ideally of other patients, on which both models are compared; with labels
   * (0 NORMAL, 1 PNEUMONIA) the report adds both models' ROC AUC. */
  check: readonly Float32Array[];
  checkLabels?: readonly (0 | 1)[];
  weightBits?: WeightBits;
  /** Least share of check images both models must call alike at the version's threshold; below
   * it nothing is written. Default 0.98. */
  minAgreement?: number;
  onProgress?: (stage: 'calibrate' | 'check', done: number, total: number) => void;
}

/** What `model.int8.json` says: how the int8 model was made and how far it strays from float. */
export interface Int8Report {
  version: string;
  createdAt: string;
  weightBits: WeightBits;
  method: typeof METHOD;
  calibrationImages: number;
  checkImages: number;
  /** Share of check images whose decision at `threshold` is the same under both models. */
  decisionAgreement: number;
  threshold: number;
  maxProbabilityDifference: number;
  meanProbabilityDifference: number;
  auc?: { float32: number; int8: number };
  /** Bytes of model.onnx and model.int8.onnx. */
  sizes: { float32: number; int8: number };
}

/** The int8 model strays too far from the float one. */
export class QuantizationRejectedError extends Error {
  constructor(
    message: string,
    readonly report: Int8Report,
  ) {
    super(message);
  }
}

/**
 * Makes the int8 model of a version folder (see `quantizeModel`), compares it with the float
 * export on the check images and, when the two agree well enough, writes model.int8.onnx and
 * model.int8.json into the folder (each whole or not at all) and returns the report. A model that
 * strays too far throws QuantizationRejectedError, which carries the report, and nothing is written.
 */
export async function quantizeVersion(dir: string, input: QuantizeVersionInput): Promise<Int8Report> {
  const manifest = await readManifest(dir);
  const minAgreement = input.minAgreement ?? 0.98;
  if (input.check.length === 0) throw new Error('quantising needs check images to compare the int8 model with the float one');
  const graph = await modelDirGraph(dir, manifest.modelFile);
  const values = valuesToCalibrate(graph);
  const ranges = await measureActivationRanges(graph, values, input.calibration, (done, total) =>
    input.onProgress?.('calibrate', done, total),
  );
  const weightBits = input.weightBits ?? 7;
  const int8 = encodeModel(quantizeModel(graph, (v) => ranges.get(v)!, weightBits));
  const float32 = encodeModel(graph);

  const n = input.check.length;
  const p32 = await classify(float32, manifest.preprocessing.inputSize, input.check, (done) => input.onProgress?.('check', done, 2 * n));
  const p8 = await classify(int8, manifest.preprocessing.inputSize, input.check, (done) => input.onProgress?.('check', n + done, 2 * n));
  const labels = input.checkLabels;
  const report: Int8Report = {
    version: manifest.version,
    createdAt: new Date().toISOString(),
    weightBits,
    method: METHOD,
    calibrationImages: input.calibration.length,
    checkImages: n,
    ...compare(p32, p8, manifest.threshold),
    ...(labels?.includes(0) && labels.includes(1) ? { auc: { float32: rocAuc(p32, labels), int8: rocAuc(p8, labels) } } : {}),
    sizes: { float32: float32.byteLength, int8: int8.byteLength },
  };
  if (report.decisionAgreement < minAgreement) {
    throw new QuantizationRejectedError(
      `the int8 model calls ${pct(1 - report.decisionAgreement)} of the check images differently from the float model (at most ${pct(1 - minAgreement)} allowed); nothing was written`,
      report,
    );
  }
  await writeWhole(path.join(dir, INT8_ONNX_FILE), int8);
  await writeWhole(path.join(dir, INT8_REPORT_FILE), JSON.stringify(report, null, 2) + '\n');
  return report;
}

/** `quantizeVersion` on image files, preprocessed as the version's manifest says. */
export async function quantizeVersionFromFiles(
  dir: string,
  input: Omit<QuantizeVersionInput, 'calibration' | 'check' | 'checkLabels'> & {
    calibration: readonly LabelledImage[];
    check: readonly LabelledImage[];
  },
): Promise<Int8Report> {
  const { preprocessing } = await readManifest(dir);
  const load = (images: readonly LabelledImage[]) =>
    Promise.all(images.map(async (image) => preprocess(await fs.readFile(image.path), preprocessing)));
  return quantizeVersion(dir, {
    ...input,
    calibration: await load(input.calibration),
    check: await load(input.check),
    checkLabels: input.check.map((image) => image.label),
  });
}

function compare(
  float32: Float32Array,
  int8: Float32Array,
  threshold: number,
): Pick<Int8Report, 'decisionAgreement' | 'threshold' | 'maxProbabilityDifference' | 'meanProbabilityDifference'> {
  let same = 0;
  let max = 0;
  let sum = 0;
  float32.forEach((f, i) => {
    const d = Math.abs(f - int8[i]!);
    max = Math.max(max, d);
    sum += d;
    if (f >= threshold === int8[i]! >= threshold) same++;
  });
  return {
    decisionAgreement: same / float32.length,
    threshold,
    maxProbabilityDifference: max,
    meanProbabilityDifference: sum / float32.length,
  };
}

async function classify(
  model: Uint8Array,
  inputSize: readonly [number, number],
  images: readonly Float32Array[],
  onDone: (done: number) => void,
): Promise<Float32Array> {
  const engine = await OnnxEngine.load(model, inputSize, { executionProvider: 'cpu' });
  try {
    const scores = await scoreItems(engine, images, {
      read: async (image) => image,
      name: (image) => `check image ${images.indexOf(image)}`,
      views: [async (image) => image],
      batchSize: CHECK_BATCH,
      onProgress: (done) => onDone(done),
    });
    return Float32Array.from(scores as number[]);
  } finally {
    await engine.dispose();
  }
}

async function writeWhole(file: string, data: Uint8Array | string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, data);
  await fs.rename(temp, file);
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
