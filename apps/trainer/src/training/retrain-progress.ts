import { RetrainProgress } from '@pneumoscreen/contracts';
import type { TrainProgress } from '@pneumoscreen/training';

/** Updates within one phase and stage are sent at most this often: each is a Redis write and an
 * event to every follower, while training reports every batch. */
export const PROGRESS_INTERVAL_MS = 1_000;

export type ProgressSink = (progress: RetrainProgress) => Promise<unknown>;
type Update = Omit<RetrainProgress, 'elapsedMs'>;

/**
 * Turns a retrain's steps and trainModel's events into RetrainProgress updates, in order and
 * throttled. A new phase or stage, an epoch's end and a finished count always go out. Progress is
 * a courtesy to whoever follows the job: a sink that fails is reported to `warn`, never to the
 * training.
 */
export class RetrainProgressReporter {
  private lastSent = -Infinity;
  private lastKey = '';
  private queue: Promise<void> = Promise.resolve();
  private lastEpoch: { stage: string; loss: number; valAuc: number } | undefined;
  private readonly started: number;

  constructor(
    private readonly sink: ProgressSink,
    private readonly warn: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  report(update: Update, force = false): void {
    const t = this.now();
    const key = `${update.phase}/${update.stage ?? ''}`;
    const finished = update.total !== undefined && update.done === update.total;
    if (!force && !finished && key === this.lastKey && t - this.lastSent < PROGRESS_INTERVAL_MS) return;
    this.lastSent = t;
    this.lastKey = key;
    const progress = RetrainProgress.parse({ ...update, elapsedMs: t - this.started });
    this.queue = this.queue
      .then(() => this.sink(progress))
      .then(
        () => undefined,
        (err: Error) => this.warn(`progress update failed: ${err.message}`),
      );
  }

  /** A trainModel event. */
  train(e: TrainProgress): void {
    switch (e.phase) {
      case 'list':
        return this.report({ phase: 'dataset', message: `${e.images} base images listed` }, true);
      case 'split':
        return this.report(
          {
            phase: 'dataset',
            message: `training on ${e.train} images, validating on ${e.val} (${e.valPatients} patients of the base data)`,
          },
          true,
        );
      case 'extract': {
        const fresh = e.done - e.fromCache;
        return this.report({
          phase: 'extract',
          message: `backbone activations, ${e.pass}: ${e.done}/${e.total} (${e.fromCache} cached)`,
          done: e.done,
          total: e.total,
          ...eta(fresh, e.total - e.done, e.elapsedMs),
        });
      }
      case 'pool':
        return this.report({
          phase: 'extract',
          message: `pooled features ${e.done}/${e.total}`,
          done: e.done,
          total: e.total,
          ...eta(e.done, e.total - e.done, e.elapsedMs),
        });
      case 'train': {
        if (e.result) this.lastEpoch = { stage: e.stage, loss: e.result.loss, valAuc: e.result.valAuc };
        const last = this.lastEpoch?.stage === e.stage ? this.lastEpoch : undefined;
        const progress = e.epoch - 1 + e.batch / e.batches;
        // Early stopping ends the stage `patience` epochs after the best one at the latest.
        const lastPossible = Math.min(e.maxEpochs, e.bestEpoch + e.patience);
        const etaSeconds = progress > 0 ? (Math.max(0, lastPossible - progress) * e.elapsedMs) / progress / 1000 : undefined;
        return this.report(
          {
            phase: 'train',
            stage: e.stage,
            message:
              `${e.stage} epoch ${e.epoch}/${e.maxEpochs}` +
              (last ? `: loss ${last.loss.toFixed(4)}, validation AUC ${last.valAuc.toFixed(4)}` : ''),
            epoch: e.epoch,
            maxEpochs: e.maxEpochs,
            done: e.batch,
            total: e.batches,
            ...(last ? { loss: last.loss, valAuc: last.valAuc } : {}),
            ...(etaSeconds === undefined ? {} : { etaSeconds }),
          },
          e.result !== undefined,
        );
      }
      case 'score':
        return this.report({
          phase: 'train',
          message: `validation reshaped (${e.view}) ${e.done}/${e.total}`,
          done: e.done,
          total: e.total,
        });
      case 'export':
        return this.report({ phase: 'train', message: 'candidate model written and checked' }, true);
    }
  }

  /** Resolves once every accepted update has been handed to the sink. */
  flush(): Promise<void> {
    return this.queue;
  }
}

/** Seconds left at the rate of the work done so far (work served from a cache does not count). */
function eta(worked: number, left: number, elapsedMs: number): { etaSeconds?: number } {
  if (left === 0) return { etaSeconds: 0 };
  return worked > 0 ? { etaSeconds: (left * elapsedMs) / worked / 1000 } : {};
}
