import type * as tfTypes from '@tensorflow/tfjs';
import { initWasmBackend } from '../tfjs/backend';
import { rocAuc } from '../metrics/binary';
import { mulberry32, shuffle } from './split';

export interface HeadData {
  /** n * dim pooled features. */
  x: Float32Array;
  /** 0/1 per row. */
  y: Uint8Array;
}

export interface HeadTrainingOptions {
  dim: number;
  seed: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation AUC. */
  patience: number;
  batchSize?: number;
  learningRate?: number;
  onEpoch?: (e: { epoch: number; loss: number; valAuc: number; best: boolean }) => void;
}

export interface TrainedHead {
  /** Input [dim] -> P(PNEUMONIA); its layers are re-applied on top of the backbone for export. */
  model: tfTypes.Sequential;
  bestEpoch: number;
  epochsRun: number;
  valScores: Float32Array;
  valAuc: number;
}

/** The head's layers, named so that they cannot clash with backbone layer names in the export. */
function buildHead(tf: typeof tfTypes, dim: number, seed: number): tfTypes.Sequential {
  return tf.sequential({
    name: 'pneumonia_head',
    layers: [
      tf.layers.dropout({ name: 'head_dropout_in', rate: 0.2, seed, inputShape: [dim] }),
      tf.layers.dense({
        name: 'head_dense',
        units: 128,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
        kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }),
      }),
      tf.layers.dropout({ name: 'head_dropout', rate: 0.5, seed: seed + 2 }),
      tf.layers.dense({
        name: 'head_output',
        units: 1,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
      }),
    ],
  });
}

/**
 * Trains the dense head on frozen features with Adam, class weights balancing NORMAL against the
 * ~3x more frequent PNEUMONIA, and early stopping on validation ROC AUC (the threshold is chosen
 * afterwards, so AUC is what the head should maximise). Returns the best epoch's weights.
 */
export async function trainHead(train: HeadData, val: HeadData, opts: HeadTrainingOptions): Promise<TrainedHead> {
  const tf = await initWasmBackend();
  const { dim } = opts;
  const n = train.y.length;
  const positives = train.y.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === n) throw new Error('training data needs both NORMAL and PNEUMONIA images');
  const classWeight = { 0: n / (2 * (n - positives)), 1: n / (2 * positives) };

  const model = buildHead(tf, dim, opts.seed);
  model.compile({ optimizer: tf.train.adam(opts.learningRate ?? 1e-3), loss: 'binaryCrossentropy' });
  const random = mulberry32(opts.seed);
  const xVal = tf.tensor2d(val.x, [val.y.length, dim]);
  let best = { auc: -1, epoch: 0, weights: [] as tfTypes.Tensor[], scores: new Float32Array() };
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= opts.maxEpochs && epoch - best.epoch <= opts.patience; epoch++) {
      // Own seeded shuffle: fit's `shuffle: true` draws from Math.random and is not reproducible.
      const order = shuffle(Array.from({ length: n }, (_, i) => i), random);
      const xs = new Float32Array(n * dim);
      const ys = new Float32Array(n);
      order.forEach((src, dst) => {
        xs.set(train.x.subarray(src * dim, (src + 1) * dim), dst * dim);
        ys[dst] = train.y[src]!;
      });
      const xt = tf.tensor2d(xs, [n, dim]);
      const yt = tf.tensor2d(ys, [n, 1]);
      const history = await model.fit(xt, yt, { epochs: 1, batchSize: opts.batchSize ?? 32, shuffle: false, classWeight, verbose: 0 });
      tf.dispose([xt, yt]);
      const scores = tf.tidy(() => (model.predict(xVal) as tfTypes.Tensor).dataSync() as Float32Array).slice();
      const valAuc = rocAuc(scores, val.y);
      const improved = valAuc > best.auc;
      if (improved) {
        tf.dispose(best.weights);
        best = { auc: valAuc, epoch, weights: model.getWeights().map((w) => w.clone()), scores };
      }
      opts.onEpoch?.({ epoch, loss: Number(history.history.loss![0]), valAuc, best: improved });
    }
    model.setWeights(best.weights);
  } finally {
    tf.dispose([xVal, ...best.weights]);
  }
  return { model, bestEpoch: best.epoch, epochsRun: epoch - 1, valScores: best.scores, valAuc: best.auc };
}
