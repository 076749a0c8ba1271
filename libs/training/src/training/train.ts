import { promises as fs } from 'node:fs';
import type * as tfTypes from '@tensorflow/tfjs';
import { PAEDIATRIC_CHEST, type ModelManifest } from '@pneumoscreen/contracts';
import { averageScores } from '@pneumoscreen/imaging';
import { loadEngine } from '@pneumoscreen/inference';
import { fitGuardOn } from '../scope/fit-version';
import { GUARD_FILE } from '@pneumoscreen/model-format';
import { patientSplit, listDataset, type LabelledImage } from '@pneumoscreen/evaluation';
import { initWasmTrainingBackend } from '../tfjs/wasm-training-kernels';
import { activationBatch, mapActivations } from './activations';
import { scoreAspectViews } from './aspect-stress';
import { backboneKey, BACKBONES } from './backbones';
import { buildFullModel, scoreAsServed, stageModel, writeVersion } from './full-model';
import { fitWithEarlyStopping, type EpochResult, type FitOptions, type FitResult } from './fit';
import { buildHead, headForward, headPenalty, headVariables } from './head';
import { buildManifest, buildReport, HEAD_LEARNING_RATE } from './report';
import { readInitFrom } from './init-from';
import { TopBlock } from './top-block';
import { buildTrainingSet } from './training-set';
import { extractTrainingViews } from './training-views';
import type { TrainOptions, TrainProgress, TrainResult, TrainStage } from './train-options';

const BATCH_SIZE = 32;

/** Transfer learning in two phases, from a labelled folder to a released version folder. */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const backbone = BACKBONES[opts.backbone];
  if (!backbone) throw new Error(`unknown backbone "${opts.backbone}" (known: ${Object.keys(BACKBONES).join(', ')})`);
  if (opts.fineTuneBlocks > backbone.topBlocks.length)
    throw new Error(`${opts.backbone} can fine-tune at most ${backbone.topBlocks.length} blocks`);
  // Checked before the hours of training, not when the threshold is chosen at the end.
  if (opts.targetSensitivity >= 1 && opts.thresholdMethod !== 'empirical')
    throw new Error(`a target sensitivity of 1 can be kept on validation only: the empirical method, not ${opts.thresholdMethod}`);
  const progress = opts.onProgress ?? (() => undefined);

  const parent = opts.initFrom === undefined ? undefined : await readInitFrom(opts.initFrom, backbone);
  const backboneDir = opts.initFrom ?? opts.backboneDir;
  const base = await listDataset(opts.dataDir);
  progress({ phase: 'list', images: base.length });
  const set = buildTrainingSet(base, opts.extraTrainImages ?? [], opts.valFraction, opts.seed);
  const { images, train, val } = set;
  const { split } = set.base;
  progress({ phase: 'split', train: train.length, val: val.length, trainPatients: split.trainGroups, valPatients: split.valGroups });

  const key = await backboneKey(backboneDir, backbone);
  const {
    variants,
    swapped,
    seconds: extractSeconds,
  } = await extractTrainingViews(images, train, backbone, { dir: backboneDir, key }, opts, progress);

  const tf = await initWasmTrainingBackend();
  const head = buildHead(backbone.featureDim, opts.seed);
  const full = await buildFullModel(backboneDir, backbone, head, parent?.version);
  const trainableFrom = backbone.topBlocks[backbone.topBlocks.length - opts.fineTuneBlocks];
  const top = TopBlock.fromModel(full, { cutLayer: backbone.cutLayer, featureLayer: backbone.featureLayer, trainableFrom });
  const pick = (rows: Uint16Array[], indexes: number[]) => indexes.map((i) => rows[i]!);
  const trainActs = [...variants.map((v) => pick(v, train)), ...swapped];
  const valViews = variants.map((v) => pick(v, val));
  const nTrain = train.length;
  const trainLabels = Uint8Array.from(train, (i) => images[i]!.label);
  const valLabels = Uint8Array.from(val, (i) => images[i]!.label);
  const stageProgress = (stage: TrainStage, maxEpochs: number, patience: number): Pick<FitOptions, 'onBatch' | 'onEpoch'> => {
    const stageStart = Date.now();
    let bestEpoch = 0;
    const emit = (epoch: number, batch: number, batches: number, result?: EpochResult) =>
      progress({
        phase: 'train',
        stage,
        epoch,
        maxEpochs,
        patience,
        bestEpoch,
        batch,
        batches,
        elapsedMs: Date.now() - stageStart,
        result,
      });
    return {
      onBatch: (b) => emit(b.epoch, b.batch, b.batches),
      onEpoch: (r) => {
        if (r.best) bestEpoch = r.epoch;
        emit(r.epoch, 1, 1, r);
      },
    };
  };

  // Phase 1: the head on pooled features of the frozen backbone, every variant a training row.
  const poolStart = Date.now();
  const poolTotal = trainActs.length * nTrain + val.length;
  let pooledBefore = 0;
  const pooled = async (rows: Uint16Array[]) => {
    const out = await mapActivations(
      rows,
      backbone.cutShape,
      backbone.featureDim,
      (x) => top.pooled(x),
      (done) => progress({ phase: 'pool', done: pooledBefore + done, total: poolTotal, elapsedMs: Date.now() - poolStart }),
    );
    pooledBefore += rows.length;
    return out;
  };
  const trainFeatures: Float32Array[] = [];
  for (const rows of trainActs) trainFeatures.push(await pooled(rows));
  const valFeatures = await pooled(valViews[0]!);
  const fd = backbone.featureDim;
  const headStart = Date.now();
  const headFit = await fitWithEarlyStopping(
    {
      size: nTrain * trainActs.length,
      labels: Uint8Array.from({ length: nTrain * trainActs.length }, (_, r) => trainLabels[r % nTrain]!),
      batch: (rows) => {
        const x = new Float32Array(rows.length * fd);
        rows.forEach((r, i) => x.set(trainFeatures[Math.floor(r / nTrain)]!.subarray((r % nTrain) * fd, ((r % nTrain) + 1) * fd), i * fd));
        return tf.tensor2d(x, [rows.length, fd]);
      },
    },
    {
      variables: headVariables(head),
      forward: (x, nextSeed) => headForward(head, x, nextSeed),
      penalty: () => headPenalty(head),
      validate: async () => tf.tidy(() => headForward(head, tf.tensor2d(valFeatures, [val.length, fd])).dataSync() as Float32Array).slice(),
      valLabels,
      learningRate: HEAD_LEARNING_RATE,
      batchSize: BATCH_SIZE,
      seed: opts.seed,
      maxEpochs: opts.maxEpochs,
      patience: opts.patience,
      labelSmoothing: opts.labelSmoothing,
      mixupAlpha: opts.mixupAlpha,
      ...stageProgress('head', opts.maxEpochs, opts.patience),
    },
  );
  const headSeconds = (Date.now() - headStart) / 1000;

  // Phase 2: the top blocks and the head, on cached activations; each epoch shows every training
  // image once, as one of its variants drawn at random.
  const score = (rows: Uint16Array[]) => mapActivations(rows, backbone.cutShape, 1, (x) => headForward(head, top.pooled(x)));
  let fineTune: FitResult | undefined;
  const fineTuneStart = Date.now();
  if (opts.fineTuneBlocks > 0 && opts.fineTuneEpochs > 0) {
    fineTune = await fitWithEarlyStopping(
      {
        size: nTrain,
        labels: trainLabels,
        batch: (rows, random) =>
          activationBatch(
            rows.map((r) => trainActs[Math.floor(random() * trainActs.length)]![r]!),
            backbone.cutShape,
          ),
      },
      {
        variables: [...top.trainableVariables, ...headVariables(head)],
        forward: (x, nextSeed) => headForward(head, top.pooled(x as tfTypes.Tensor4D), nextSeed),
        penalty: () => headPenalty(head),
        validate: () => score(valViews[0]!),
        valLabels,
        learningRate: opts.fineTuneLearningRate,
        batchSize: BATCH_SIZE,
        seed: opts.seed + 1,
        maxEpochs: opts.fineTuneEpochs,
        patience: opts.fineTunePatience,
        labelSmoothing: opts.labelSmoothing,
        mixupAlpha: opts.mixupAlpha,
        ...stageProgress('fine-tune', opts.fineTuneEpochs, opts.fineTunePatience),
      },
    );
  }
  const fineTuneSeconds = (Date.now() - fineTuneStart) / 1000;
  const valScores = (fineTune ?? headFit).valScores;
  const ttaViews = [valScores];
  for (const view of valViews.slice(1)) ttaViews.push(await score(view));
  const ttaScores = ttaViews.length > 1 ? averageScores(ttaViews) : undefined;

  // The served model is measured as workers run it, on the exported files.
  const validation = val.map((i) => images[i]!);
  const staged = await stageModel(opts.outDir, full);
  try {
    const servedScores = await scoreAsServed(staged, backbone.preprocessing, validation, valScores);
    const scoreStart = Date.now();
    const aspectScores = await scoreAspectViews(staged, backbone.preprocessing, validation, (view, done) =>
      progress({ phase: 'score', view, done, total: validation.length, elapsedMs: Date.now() - scoreStart }),
    );
    const report = buildReport({
      valLabels,
      thresholdRule: { targetSensitivity: opts.targetSensitivity, method: opts.thresholdMethod, confidence: opts.thresholdConfidence },
      headFit,
      fineTune: fineTune && { fit: fineTune, learningRate: opts.fineTuneLearningRate },
      valScores: servedScores,
      ttaScores,
      aspectScores,
    });
    const manifest = buildManifest({
      opts,
      backbone,
      backboneKey: key,
      images: base,
      split,
      report,
      parentVersion: parent?.version ?? null,
      extra: opts.extraTrainImages && set.extra,
      trainableLayers: top.trainableLayerNames,
      seconds: {
        extract: extractSeconds,
        pool: (headStart - poolStart) / 1000,
        head: headSeconds,
        fineTune: fineTuneSeconds,
        total: (Date.now() - started) / 1000,
      },
    });
    manifest.intendedUse = opts.intendedUse ?? PAEDIATRIC_CHEST;
    const extra = await report.plots();
    const baseTrain = train.filter((i) => i < base.length).map((i) => images[i]!);
    if (opts.guard !== false && baseTrain.length >= MIN_GUARD_FILMS) {
      extra[GUARD_FILE] = Buffer.from(JSON.stringify(await fitStagedGuard(staged, manifest, baseTrain, opts.seed, progress)) + '\n');
    }
    const versionDir = await writeVersion(opts.outDir, staged, { manifest, metrics: report.metricsJson, extra });
    progress({ phase: 'export', dir: versionDir });
    return {
      versionDir,
      manifest,
      baseImages: base.length,
      extraImages: set.extra.images.length,
      validation,
      thresholdMethods: report.thresholdMethods,
    };
  } catch (err) {
    await fs.rm(staged, { recursive: true, force: true });
    throw err;
  }
}

const MIN_GUARD_FILMS = 60;

/** The guard of a staged model, fitted on its base training films (patients split once more into
 * fit and threshold-setting), scored with the fastest engine this host has. */
async function fitStagedGuard(
  staged: string,
  manifest: ModelManifest,
  films: LabelledImage[],
  seed: number,
  progress: (e: TrainProgress) => void,
) {
  const inner = patientSplit(films, 0.15, seed + 1);
  const engine = await loadEngine(staged, manifest);
  const started = Date.now();
  try {
    return await fitGuardOn(
      engine,
      manifest,
      { fit: inner.train.map((i) => films[i]!), calibration: inner.val.map((i) => films[i]!) },
      (stage, done, total) => progress({ phase: 'score', view: `guard: ${stage}`, done, total, elapsedMs: Date.now() - started }),
    );
  } finally {
    await engine.dispose();
  }
}
