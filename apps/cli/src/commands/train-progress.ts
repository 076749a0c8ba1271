import type { TrainProgress } from '@pneumoscreen/training';
import { bar, liveLine, type Output } from './live-line';

/**
 * Renders training progress: on a TTY one live line (phase, epoch, bar, loss, validation AUC, time
 * left), redrawn in place, with every finished epoch kept as a line of its own; elsewhere (logs,
 * CI) plain lines only.
 */
export function trainReporter(out: Output, now: () => number = Date.now): (e: TrainProgress) => void {
  const output = liveLine(out, now);
  let lastEpoch: { loss: number; valAuc: number } | undefined;
  let stage: string | undefined;

  const line = (text: string) => output.keep(text);
  const update = (text: string, done: boolean) => (done ? output.keep(text) : output.update(text));

  return (e) => {
    switch (e.phase) {
      case 'list':
        return line(`[list] ${e.images} images`);
      case 'split':
        return line(
          `[split] train ${e.train} images / ${e.trainPatients} patients, validation ${e.val} images / ${e.valPatients} patients`,
        );
      case 'extract':
      case 'pool': {
        const fresh = e.phase === 'extract' ? e.done - e.fromCache : e.done;
        const rate = fresh > 0 ? fresh / (e.elapsedMs / 1000) : 0;
        const left = rate > 0 && e.done < e.total ? ` ~${duration(((e.total - e.done) / rate) * 1000)} left` : '';
        const name = e.phase === 'extract' ? `extract ${e.pass}` : 'pool features';
        const cached = e.phase === 'extract' ? ` (${e.fromCache} cached)` : '';
        return update(
          `[${name}] ${bar(e.done / e.total)} ${e.done}/${e.total}${cached} ${rate.toFixed(1)} img/s${left}`,
          e.done === e.total,
        );
      }
      case 'train': {
        if (e.stage !== stage) {
          stage = e.stage;
          lastEpoch = undefined;
        }
        const progress = e.epoch - 1 + e.batch / e.batches;
        const perEpochMs = e.elapsedMs / progress;
        // Early stopping ends the stage `patience` epochs after the best one at the latest.
        const lastPossible = Math.min(e.maxEpochs, e.bestEpoch + e.patience);
        const leftMs = Math.max(0, lastPossible - progress) * perEpochMs;
        if (e.result) {
          lastEpoch = e.result;
          const r = e.result;
          return line(
            `[${e.stage}] epoch ${r.epoch}/${e.maxEpochs} loss ${r.loss.toFixed(4)} val AUC ${r.valAuc.toFixed(4)}${r.best ? ' *' : ''}` +
              ` (${duration(r.seconds * 1000)}; at most ~${duration(leftMs)} left)`,
          );
        }
        const last = lastEpoch ? ` | loss ${lastEpoch.loss.toFixed(4)} val AUC ${lastEpoch.valAuc.toFixed(4)}` : '';
        return update(
          `[${e.stage}] epoch ${e.epoch}/${e.maxEpochs} ${bar(e.batch / e.batches)}${last} | at most ~${duration(leftMs)} left`,
          false,
        );
      }
      case 'score': {
        const rate = e.done > 0 ? e.done / (e.elapsedMs / 1000) : 0;
        return update(`[score ${e.view}] ${bar(e.done / e.total)} ${e.done}/${e.total} ${rate.toFixed(1)} img/s`, e.done === e.total);
      }
      case 'export':
        return line(`[export] ${e.dir}`);
    }
  };
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
