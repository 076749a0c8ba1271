import * as tf from '@tensorflow/tfjs';
import { rocAuc, mulberry32, shuffle } from '@pneumoscreen/evaluation';
import { mixValues, mixupPlan, smoothedTarget } from './regularise';

export interface FitData {
  /** Rows one epoch passes over. */
  size: number;
  /** 0/1 per row. */
  labels: Uint8Array;
  /** Model input for these rows; `random` may pick among a row's variants. */
  batch: (rows: number[], random: () => number) => tf.Tensor;
}

export interface FitOptions {
  variables: tf.Variable[];
  /** P(PNEUMONIA) [n, 1]; `nextSeed` is given while training, for dropout. */
  forward: (x: tf.Tensor, nextSeed?: () => number) => tf.Tensor;
  penalty?: () => tf.Scalar;
  /** Scores of the validation images with the current weights. */
  validate: () => Promise<Float32Array>;
  valLabels: Uint8Array;
  learningRate: number;
  batchSize: number;
  seed: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation AUC. */
  patience: number;
  /** Targets pulled towards 0.5 by this much (label smoothing); 0 or absent trains on 0/1. */
  labelSmoothing?: number;
  /** Mixup of the batch rows (inputs, targets and class weights) with Beta(alpha, alpha); 0 or
   * absent trains on the rows as they are. */
  mixupAlpha?: number;
  onBatch?: (e: { epoch: number; batch: number; batches: number }) => void;
  onEpoch?: (e: EpochResult) => void;
}

export interface EpochResult {
  epoch: number;
  loss: number;
  valAuc: number;
  best: boolean;
  seconds: number;
}

export interface FitResult {
  /** 0 when no epoch beat the starting weights, which are then kept. */
  bestEpoch: number;
  epochsRun: number;
  valScores: Float32Array;
  valAuc: number;
  /** Validation AUC of the starting weights. */
  initialValAuc: number;
  history: EpochResult[];
}

/**
 * Adam on class-weighted binary cross-entropy (NORMAL and the ~3x more frequent PNEUMONIA count
 * equally) with early stopping on validation ROC AUC, which is what matters when the threshold is
 * chosen afterwards. The starting weights are scored first, so a phase can only improve on them;
 * the best epoch's weights are left in the variables.
 */
export async function fitWithEarlyStopping(train: FitData, opts: FitOptions): Promise<FitResult> {
  const positives = train.labels.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === train.size) throw new Error('training data needs both NORMAL and PNEUMONIA images');
  const weightOf = [train.size / (2 * (train.size - positives)), train.size / (2 * positives)];
  const optimizer = tf.train.adam(opts.learningRate);
  const random = mulberry32(opts.seed);
  const nextSeed = () => Math.floor(random() * 2 ** 31);
  const initial = await opts.validate();
  const initialValAuc = rocAuc(initial, opts.valLabels);
  let best = { auc: initialValAuc, epoch: 0, scores: initial, weights: opts.variables.map((v) => v.clone()) };
  const history: EpochResult[] = [];
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= opts.maxEpochs && epoch - best.epoch <= opts.patience; epoch++) {
      const started = Date.now();
      const order = shuffle(
        Array.from({ length: train.size }, (_, i) => i),
        random,
      );
      const batches = Math.ceil(train.size / opts.batchSize);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const rows = order.slice(b * opts.batchSize, (b + 1) * opts.batchSize);
        const { x, y, w } = softBatch(train.batch(rows, random), rows, train.labels, weightOf, opts, random);
        const cost = optimizer.minimize(() => loss(opts, x, y, w, nextSeed), true, opts.variables)!;
        lossSum += (await cost.data())[0]! * rows.length;
        tf.dispose([x, y, w, cost]);
        opts.onBatch?.({ epoch, batch: b + 1, batches });
      }
      const scores = await opts.validate();
      const valAuc = rocAuc(scores, opts.valLabels);
      const improved = valAuc > best.auc;
      if (improved) {
        tf.dispose(best.weights);
        best = { auc: valAuc, epoch, scores, weights: opts.variables.map((v) => v.clone()) };
      }
      const result = { epoch, loss: lossSum / train.size, valAuc, best: improved, seconds: (Date.now() - started) / 1000 };
      history.push(result);
      opts.onEpoch?.(result);
    }
    opts.variables.forEach((v, i) => v.assign(best.weights[i]!));
  } finally {
    tf.dispose(best.weights);
    optimizer.dispose();
  }
  return { bestEpoch: best.epoch, epochsRun: epoch - 1, valScores: best.scores, valAuc: best.auc, initialValAuc, history };
}

/** A batch's inputs, targets and class weights after label smoothing and mixup, when asked for. */
function softBatch(input: tf.Tensor, rows: number[], labels: Uint8Array, weightOf: number[], opts: FitOptions, random: () => number) {
  let targets = rows.map((r) => smoothedTarget(labels[r]!, opts.labelSmoothing ?? 0));
  let weights = rows.map((r) => weightOf[labels[r]!]!);
  let x = input;
  if (opts.mixupAlpha) {
    const plan = mixupPlan(rows.length, opts.mixupAlpha, random);
    targets = mixValues(targets, plan);
    weights = mixValues(weights, plan);
    const lambda = tf.tensor(plan.lambda, [rows.length, ...input.shape.slice(1).map(() => 1)]);
    x = tf.tidy(() => tf.add(tf.mul(lambda, input), tf.mul(tf.sub(1, lambda), tf.gather(input, plan.partner))));
    tf.dispose([input, lambda]);
  }
  return { x, y: tf.tensor2d(targets, [rows.length, 1]), w: tf.tensor2d(weights, [rows.length, 1]) };
}

/** Keras' binary cross-entropy (probabilities clipped to [1e-7, 1 - 1e-7]), weighted per row. */
function loss(opts: FitOptions, x: tf.Tensor, y: tf.Tensor, w: tf.Tensor, nextSeed: () => number): tf.Scalar {
  const p = tf.clipByValue(opts.forward(x, nextSeed), 1e-7, 1 - 1e-7);
  const bce = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
  const data = tf.mean(tf.mul(bce, w)) as tf.Scalar;
  return opts.penalty ? tf.add(data, opts.penalty()) : data;
}
