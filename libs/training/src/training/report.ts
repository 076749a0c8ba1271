import * as path from 'node:path';
import type { BinaryMetrics, ModelManifest, ValidationThresholdRule } from '@pneumoscreen/contracts';
import { binaryMetrics, rocPoints, type Labels, type Scores } from '@pneumoscreen/evaluation';
import { STRESS_ASPECT } from './aspect-stress';
import { AUGMENTATION_RECIPE, SHAPE_SWAP_RECIPE } from './augmented-input';
import type { Backbone } from './backbones';
import type { LabelledImage, PatientSplit } from '@pneumoscreen/evaluation';
import type { FitResult } from './fit';
import { HEAD_DESCRIPTION } from './head';
import { rocSvg, svgToPng, trainingSvg } from './plots';
import { thresholdMethodTable, validationThreshold, type ThresholdMethodRow, type TrainingThresholdRule } from './threshold-choice';
import type { TrainOptions } from './train-options';

export const HEAD_LEARNING_RATE = 1e-3;

/** Keys of manifest.metrics: the served model, the frozen-backbone model of phase 1 (only when
 * phase 2 ran), and the served model averaged over test-time augmentation views. */
export const METRIC_KEYS = { served: 'validation', head: 'validationHead', tta: 'validationTta' } as const;

export interface ReportInput {
  valLabels: Labels;
  thresholdRule: TrainingThresholdRule;
  headFit: FitResult;
  fineTune?: { fit: FitResult; learningRate: number };
  /** Of the served model. */
  valScores: Scores;
  ttaScores?: Scores;
  /** Of the served model on reshaped validation views (see ASPECT_VIEWS), by metrics key. */
  aspectScores?: Record<string, Scores>;
}

export interface Report {
  metrics: Record<string, BinaryMetrics>;
  /** metrics.json: the metrics with their ROC points, and the training history. */
  metricsJson: object;
  /** roc.png and training.png. */
  plots: () => Promise<Record<string, Buffer>>;
  /** Phase 1, then phase 2 if it ran. */
  fits: FitResult[];
  /** How the served threshold was chosen, with the confidence it keeps the target. */
  thresholdRule: ValidationThresholdRule;
  /** What every method would choose on the served model's validation scores. */
  thresholdMethods: ThresholdMethodRow[];
}

/** Every set of scores gets its own threshold, chosen on validation by the rule. */
export function buildReport(input: ReportInput): Report {
  const { valLabels, thresholdRule: rule } = input;
  const scored: Array<[string, string, Scores]> = [[METRIC_KEYS.served, 'served model', input.valScores]];
  if (input.fineTune) scored.push([METRIC_KEYS.head, 'after phase 1 (frozen backbone)', input.headFit.valScores]);
  if (input.ttaScores) scored.push([METRIC_KEYS.tta, 'served model + test-time augmentation', input.ttaScores]);
  const metrics: Record<string, BinaryMetrics> = {};
  const withRoc: Record<string, BinaryMetrics & { roc: ReturnType<typeof rocPoints> }> = {};
  let thresholdRule: ValidationThresholdRule | undefined;
  for (const [key, , scores] of scored) {
    const chosen = validationThreshold(scores, valLabels, rule);
    thresholdRule ??= chosen.rule;
    metrics[key] = binaryMetrics(scores, valLabels, chosen.threshold);
    withRoc[key] = { ...metrics[key]!, roc: rocPoints(scores, valLabels) };
  }
  // At the served threshold: what a change of image shape does to the operating point in use.
  for (const [key, scores] of Object.entries(input.aspectScores ?? {})) {
    metrics[key] = binaryMetrics(scores, valLabels, metrics[METRIC_KEYS.served]!.threshold);
    withRoc[key] = { ...metrics[key]!, roc: rocPoints(scores, valLabels) };
  }
  const rate = (lr: number) => (lr < 1e-3 ? lr.toExponential() : String(lr));
  const stages = [{ name: `head (Adam ${rate(HEAD_LEARNING_RATE)})`, fit: input.headFit }];
  if (input.fineTune) stages.push({ name: `fine-tune (Adam ${rate(input.fineTune.learningRate)})`, fit: input.fineTune.fit });
  const served = metrics[METRIC_KEYS.served]!;
  const thresholdMethods = thresholdMethodTable(input.valScores, valLabels, rule);
  return {
    metrics,
    fits: stages.map((s) => s.fit),
    thresholdRule: thresholdRule!,
    thresholdMethods,
    metricsJson: {
      targetSensitivity: rule.targetSensitivity,
      thresholdRule,
      thresholdMethods,
      ...(input.aspectScores
        ? { aspectStress: { ratio: STRESS_ASPECT, views: Object.keys(input.aspectScores), threshold: 'served' } }
        : {}),
      ...withRoc,
      stages: stages.map((s) => ({
        name: s.name,
        bestEpoch: s.fit.bestEpoch,
        epochsRun: s.fit.epochsRun,
        initialValAuc: s.fit.initialValAuc,
        history: s.fit.history,
      })),
    },
    plots: async () => ({
      'roc.png': await svgToPng(
        rocSvg({
          curves: scored.map(([key, label]) => ({ label: `${label}, AUC ${metrics[key]!.auc.toFixed(4)}`, roc: withRoc[key]!.roc })),
          operating: { fpr: 1 - served.specificity, tpr: served.sensitivity, threshold: served.threshold },
        }),
      ),
      'training.png': await svgToPng(
        trainingSvg({
          stages: stages.map((s) => ({
            name: s.name,
            bestEpoch: s.fit.bestEpoch,
            initialValAuc: s.fit.initialValAuc,
            history: s.fit.history,
          })),
        }),
      ),
    }),
  };
}

export interface ManifestInput {
  opts: TrainOptions;
  backbone: Backbone;
  backboneKey: string;
  images: LabelledImage[];
  split: PatientSplit;
  report: Report;
  trainableLayers: string[];
  seconds: { extract: number; pool: number; head: number; fineTune: number; total: number };
  /** The version whose weights training started from. */
  parentVersion: string | null;
  /** Extra training images used, when the run was given a list of them. */
  extra?: { images: LabelledImage[]; droppedAsValidation: number };
}

export function buildManifest(input: ManifestInput): ModelManifest {
  const { opts, backbone, backboneKey, images, split, report, trainableLayers, seconds, parentVersion, extra } = input;
  const createdAt = new Date();
  const stages = [{ name: 'head', learningRate: HEAD_LEARNING_RATE, maxEpochs: opts.maxEpochs, patience: opts.patience }];
  const fineTuned = opts.fineTuneBlocks > 0 && opts.fineTuneEpochs > 0;
  if (fineTuned)
    stages.push({
      name: 'fine-tune',
      learningRate: opts.fineTuneLearningRate,
      maxEpochs: opts.fineTuneEpochs,
      patience: opts.fineTunePatience,
    });
  return {
    name: 'pneumoscreen-pneumonia',
    version: `${backbone.architecture}-${stamp(createdAt)}`,
    architecture: backbone.architecture,
    format: 'tfjs-layers',
    modelFile: 'model.json',
    preprocessing: backbone.preprocessing,
    classes: ['NORMAL', 'PNEUMONIA'],
    threshold: report.metrics[METRIC_KEYS.served]!.threshold,
    thresholdRule: report.thresholdRule,
    metrics: report.metrics,
    data: {
      dataset: path.basename(path.resolve(opts.dataDir)),
      counts: countLabels(images),
      uniqueImages: new Set(images.map((i) => i.sha256)).size,
      split: {
        method: 'patient-grouped (file-name patient id, identical files merged), class-balanced',
        seed: opts.seed,
        valFraction: opts.valFraction,
        train: { ...countLabels(split.train.map((i) => images[i]!)), patients: split.trainGroups },
        validation: { ...countLabels(split.val.map((i) => images[i]!)), patients: split.valGroups },
        filesWithoutPatientId: split.ungrouped,
      },
      targetSensitivity: opts.targetSensitivity,
      backbone: {
        folder: backbone.folder,
        ...(parentVersion === null ? {} : { weightsFrom: parentVersion }),
        cachedLayer: backbone.cutLayer,
        featureLayer: backbone.featureLayer,
        fineTunedLayers: fineTuned ? trainableLayers : [],
        key: backboneKey,
      },
      // What the next retrain counts new labels from: labels received after `until`.
      ...(extra
        ? {
            feedback: {
              images: extra.images.length,
              ...countLabels(extra.images),
              droppedAsValidation: extra.droppedAsValidation,
              until: opts.feedbackUntil ?? null,
            },
          }
        : {}),
      head: HEAD_DESCRIPTION,
      training: {
        optimizer: 'adam',
        batchSize: 32,
        classWeighted: true,
        ...(opts.labelSmoothing ? { labelSmoothing: opts.labelSmoothing } : {}),
        ...(opts.mixupAlpha ? { mixupAlpha: opts.mixupAlpha } : {}),
        batchNorm: 'ImageNet statistics kept (inference mode) in every phase',
        earlyStopping: 'validation ROC AUC; the best epoch is kept',
        stages: stages.map((s, i) => ({ ...s, bestEpoch: report.fits[i]!.bestEpoch, epochsRun: report.fits[i]!.epochsRun })),
        augmentation: opts.augmentCopies ? { copiesPerImage: opts.augmentCopies, recipe: AUGMENTATION_RECIPE, seed: opts.seed } : 'none',
        shapeSwap: opts.shapeSwapCopies
          ? { copiesPerImage: opts.shapeSwapCopies, recipe: SHAPE_SWAP_RECIPE, ratio: STRESS_ASPECT, seed: opts.seed }
          : 'none',
        seconds: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, Math.round(v * 10) / 10])),
      },
      // Serving scores the plain image only; `eval --tta` reproduces these views from the recipe,
      // seed and copy numbers, and uses metrics.validationTta's threshold.
      ...(opts.augmentCopies
        ? { testTimeAugmentation: { views: 1 + opts.augmentCopies, recipe: AUGMENTATION_RECIPE, seed: opts.seed, servedByWorker: false } }
        : {}),
    },
    parentVersion,
    codeVersion: opts.codeVersion,
    createdAt: createdAt.toISOString(),
  };
}

function countLabels(images: ReadonlyArray<{ label: 0 | 1 }>): { NORMAL: number; PNEUMONIA: number } {
  const pneumonia = images.filter((i) => i.label === 1).length;
  return { NORMAL: images.length - pneumonia, PNEUMONIA: pneumonia };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
