import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainProgress } from '@pneumoscreen/training';
import { trainReporter } from './train-progress';

function run(isTTY: boolean, events: Array<[number, TrainProgress]>): string {
  let out = '';
  let clock = 0;
  const report = trainReporter({ isTTY, write: (s: string) => (out += s) }, () => clock);
  for (const [at, e] of events) {
    clock = at;
    report(e);
  }
  return out;
}

const train = (epoch: number, batch: number, result?: { loss: number; valAuc: number }): TrainProgress => ({
  phase: 'train',
  stage: 'fine-tune',
  epoch,
  maxEpochs: 12,
  patience: 3,
  bestEpoch: result ? epoch : epoch - 1,
  batch,
  batches: 10,
  elapsedMs: ((epoch - 1) * 10 + batch) * 1000,
  result: result && { epoch, ...result, best: true, seconds: 10 },
});

const EVENTS: Array<[number, TrainProgress]> = [
  [0, { phase: 'list', images: 100 }],
  [0, { phase: 'extract', pass: 'plain', done: 0, total: 100, fromCache: 0, elapsedMs: 0 }],
  [100, { phase: 'extract', pass: 'plain', done: 50, total: 100, fromCache: 0, elapsedMs: 10_000 }],
  [400, { phase: 'extract', pass: 'plain', done: 60, total: 100, fromCache: 0, elapsedMs: 12_000 }],
  [500, { phase: 'extract', pass: 'plain', done: 100, total: 100, fromCache: 0, elapsedMs: 20_000 }],
  [600, train(1, 5)],
  [900, train(1, 10, { loss: 0.5, valAuc: 0.9 })],
  [1200, train(2, 5)],
];

test('on a TTY one live line is redrawn in place, and finished passes and epochs stay as lines', () => {
  const out = run(true, EVENTS);
  const kept = out.split('\n').map((l) => l.split('\r\x1b[2K').at(-1));
  assert.deepEqual(kept.slice(0, 4), [
    '[list] 100 images',
    '[extract plain] ████████████████████ 100% 100/100 (0 cached) 5.0 img/s',
    '[fine-tune] epoch 1/12 loss 0.5000 val AUC 0.9000 * (10s; at most ~30s left)',
    '[fine-tune] epoch 2/12 ██████████░░░░░░░░░░  50% | loss 0.5000 val AUC 0.9000 | at most ~25s left',
  ]);
  assert.match(out, /\r\x1b\[2K\[extract plain\] █{12}░{8}  60% 60\/100 .* ~8s left/);
  assert.doesNotMatch(out, /50\/100/, 'redraws closer together than 250 ms are skipped');
});

test('without a TTY only plain lines are written', () => {
  const out = run(false, EVENTS);
  assert.doesNotMatch(out, /\r/);
  assert.deepEqual(
    out
      .trimEnd()
      .split('\n')
      .map((l) => l.slice(0, 24)),
    ['[list] 100 images', '[extract plain] ░░░░░░░░', '[extract plain] ████████', '[fine-tune] epoch 1/12 l'],
  );
});

test('scoring the reshaped validation views shows a bar per view and keeps the finished line', () => {
  const out = run(false, [
    [0, { phase: 'score', view: 'aspectNarrower', done: 0, total: 40, elapsedMs: 0 }],
    [5000, { phase: 'score', view: 'aspectNarrower', done: 40, total: 40, elapsedMs: 4000 }],
  ]);
  assert.deepEqual(out.trimEnd().split('\n'), [
    '[score aspectNarrower] ░░░░░░░░░░░░░░░░░░░░   0% 0/40 0.0 img/s',
    '[score aspectNarrower] ████████████████████ 100% 40/40 10.0 img/s',
  ]);
});
