import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RetrainProgress } from '@pneumoscreen/contracts';
import type { TrainProgress } from '@pneumoscreen/training';
import { PROGRESS_INTERVAL_MS, RetrainProgressReporter } from './retrain-progress';

function reporter() {
  let now = 1_000;
  const sent: RetrainProgress[] = [];
  const warnings: string[] = [];
  const r = new RetrainProgressReporter(
    async (p) => void sent.push(p),
    (w) => warnings.push(w),
    () => now,
  );
  return { r, sent, warnings, advance: (ms: number) => (now += ms) };
}

type TrainEvent = Extract<TrainProgress, { phase: 'train' }>;
const batch = (epoch: number, b: number, extra: Partial<TrainEvent> = {}): TrainEvent => ({
  phase: 'train',
  stage: 'head',
  epoch,
  maxEpochs: 10,
  patience: 2,
  bestEpoch: 0,
  batch: b,
  batches: 4,
  elapsedMs: 4_000,
  ...extra,
});

test('updates within a phase go out at most once a second; counts that finish always do', async () => {
  const { r, sent, advance } = reporter();
  r.report({ phase: 'dataset', message: 'a', done: 1, total: 3 });
  r.report({ phase: 'dataset', message: 'b', done: 2, total: 3 });
  advance(PROGRESS_INTERVAL_MS);
  r.report({ phase: 'dataset', message: 'c', done: 2, total: 3 });
  r.report({ phase: 'dataset', message: 'd', done: 3, total: 3 });
  r.report({ phase: 'extract', message: 'e', done: 0, total: 9 });
  await r.flush();
  assert.deepEqual(
    sent.map((p) => p.message),
    ['a', 'c', 'd', 'e'],
  );
  assert.deepEqual(
    sent.map((p) => p.elapsedMs),
    [0, 1_000, 1_000, 1_000],
  );
});

test('training batches carry the stage, epoch, batch count, time left and the last epoch loss and AUC', async () => {
  const { r, sent, advance } = reporter();
  r.train(batch(1, 2));
  advance(PROGRESS_INTERVAL_MS);
  r.train(batch(1, 4, { result: { epoch: 1, loss: 0.5, valAuc: 0.9, best: true, seconds: 4 } }));
  r.train(batch(2, 1, { bestEpoch: 1, elapsedMs: 5_000 }));
  advance(PROGRESS_INTERVAL_MS);
  r.train(batch(2, 2, { bestEpoch: 1, elapsedMs: 6_000 }));
  await r.flush();
  assert.equal(sent.length, 3);
  assert.deepEqual(sent[0], {
    phase: 'train',
    stage: 'head',
    message: 'head epoch 1/10',
    epoch: 1,
    maxEpochs: 10,
    done: 2,
    total: 4,
    etaSeconds: 12,
    elapsedMs: 0,
  });
  assert.equal(sent[1]!.loss, 0.5);
  assert.equal(sent[1]!.valAuc, 0.9);
  // Best epoch 1 and patience 2: at most epochs 2 and 3 are left, at 4 s an epoch.
  assert.deepEqual(
    { ...sent[2], message: undefined },
    {
      phase: 'train',
      stage: 'head',
      message: undefined,
      epoch: 2,
      maxEpochs: 10,
      done: 2,
      total: 4,
      loss: 0.5,
      valAuc: 0.9,
      etaSeconds: 6,
      elapsedMs: 2_000,
    },
  );
});

test('a new stage does not inherit the last stage loss', async () => {
  const { r, sent } = reporter();
  r.train(batch(1, 4, { result: { epoch: 1, loss: 0.5, valAuc: 0.9, best: true, seconds: 4 } }));
  r.train({ ...batch(1, 1), stage: 'fine-tune' });
  await r.flush();
  assert.equal(sent[1]!.stage, 'fine-tune');
  assert.equal(sent[1]!.loss, undefined);
});

test('activation extraction estimates from fresh work only', async () => {
  const { r, sent } = reporter();
  r.train({ phase: 'extract', pass: 'plain', done: 30, total: 50, fromCache: 20, elapsedMs: 10_000 });
  await r.flush();
  assert.deepEqual(sent[0], {
    phase: 'extract',
    message: 'backbone activations, plain: 30/50 (20 cached)',
    done: 30,
    total: 50,
    etaSeconds: 20,
    elapsedMs: 0,
  });
});

test('a failing sink is reported, not thrown, and later updates still go out', async () => {
  let calls = 0;
  const warnings: string[] = [];
  const r = new RetrainProgressReporter(
    async () => {
      if (calls++ === 0) throw new Error('Redis is away');
    },
    (w) => warnings.push(w),
  );
  r.report({ phase: 'dataset', message: 'a' }, true);
  r.report({ phase: 'publish', message: 'b' }, true);
  await r.flush();
  assert.equal(calls, 2);
  assert.deepEqual(warnings, ['progress update failed: Redis is away']);
});
