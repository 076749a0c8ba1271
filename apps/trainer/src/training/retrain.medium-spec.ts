import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, QueueEvents } from 'bullmq';
import {
  JobName,
  QueueName,
  RETRAIN_DEDUPLICATION_ID,
  RetrainJobData,
  RetrainProgress,
  RetrainResult,
  type ChannelChangeNotice,
  type ComparedMetrics,
  type NewRetrainJobData,
} from '@pneumoscreen/contracts';
import { ModelRegistry } from '@pneumoscreen/registry';
import { readManifest } from '@pneumoscreen/model-format';
import { JOBS, createRedisConnection, redisOptionsFromUrl, subscribeChannelNotices } from '@pneumoscreen/queue';
import { systemClock } from '@pneumoscreen/studies';
import type { ChannelChange } from '@pneumoscreen/webhooks';
import { AdaptersModule } from '../adapters.module';
import { RedisChannelAnnouncer } from './channel-announcer';
import { RetrainUseCase } from './retrain.use-case';
import { BUCKET, startRetrainWorld, type RetrainWorld } from './retrain.test-harness';
import { TrainingPoolModule } from './training-pool.module';

/** Small settings: two head epochs, one fine-tune epoch, no augmentation or shape swap. */
const QUICK: NewRetrainJobData = {
  requestedAt: new Date().toISOString(),
  maxEpochs: 2,
  fineTuneEpochs: 1,
  augmentCopies: 0,
  shapeSwapCopies: 0,
};

describe('retrain on a tiny data set, s3rver and Redis', () => {
  let world: RetrainWorld;

  before(async () => {
    world = await startRetrainWorld();
  });
  after(async () => {
    await world?.close();
  });

  const useCase = (trainer: Partial<RetrainWorld['config']['trainer']>, announced: ChannelChange[] = []) =>
    new RetrainUseCase(
      { ...world.config, trainer: { ...world.config.trainer, ...trainer } },
      world.feedback,
      world.store,
      world.registry,
      { announce: async (c) => void announced.push(c) },
      systemClock,
    );

  test('refuses to train on fewer new labels than the job asks for', async () => {
    await assert.rejects(
      useCase({}).execute({ ...QUICK, minNewLabels: 50 }, async () => undefined),
      new RegExp(`^Error: ${world.labelledImages} new labels since ${world.production}; --min-new-labels asks for 50$`),
    );
  });

  test('a retrain job publishes a candidate trained from production and, under the manual policy, moves no channel', async () => {
    @Module({ imports: [AdaptersModule.register(world.config), TrainingPoolModule] })
    class Trainer {}
    const app = await NestFactory.createApplicationContext(Trainer, { logger: false });
    const connection = redisOptionsFromUrl(world.config.redis.url);
    const queue = new Queue(QueueName.training, { connection, prefix: world.config.redis.prefix });
    const events = new QueueEvents(QueueName.training, { connection, prefix: world.config.redis.prefix });
    const progress: RetrainProgress[] = [];
    events.on('progress', ({ data }) => progress.push(RetrainProgress.parse(data)));
    try {
      await events.waitUntilReady();
      assert.equal(await queue.getGlobalConcurrency(), 1, 'one retrain at a time across trainer processes');
      const before = await world.registry.getChannel('production');
      const job = await queue.add(
        JobName.retrain,
        { ...QUICK, minNewLabels: world.labelledImages },
        { ...JOBS[JobName.retrain].options, deduplication: { id: RETRAIN_DEDUPLICATION_ID } },
      );
      const result = RetrainResult.parse(await job.waitUntilFinished(events, 240_000));

      assert.equal(result.productionVersion, world.production);
      assert.deepEqual(result.data, {
        baseImages: 20,
        feedbackTrainImages: 4,
        feedbackHeldBackImages: 2,
        newLabels: world.labelledImages,
        disagreements: 1,
      });
      assert.deepEqual(rows(result.comparison), [
        ['production', world.production, 'validation'],
        ['production', world.production, 'feedback'],
        ['candidate', result.candidateVersion, 'validation'],
        ['candidate', result.candidateVersion, 'feedback'],
      ]);
      assert.equal(row(result, 'production', 'feedback').n, 2);
      assert.equal(
        row(result, 'production', 'validation').threshold,
        (await readManifest(await world.registry.download(world.production, world.config.trainer.workDir))).threshold,
      );
      assert.deepEqual(result.gate, { passed: true, reasons: [] });
      assert.equal(result.action, 'none');
      assert.deepEqual(await world.registry.getChannel('production'), before);
      assert.equal(await world.registry.getChannel('canary'), null);

      const candidate = await readManifest(await world.registry.download(result.candidateVersion, world.config.trainer.workDir));
      assert.equal(candidate.parentVersion, world.production);
      assert.equal((candidate.data['backbone'] as { weightsFrom?: string }).weightsFrom, world.production);
      // Measured as served, again: the very metrics training recorded, at the threshold it chose.
      const { n, accuracy, sensitivity, specificity, auc, threshold } = candidate.metrics['validation']!;
      assert.deepEqual(row(result, 'candidate', 'validation'), {
        model: 'candidate',
        version: result.candidateVersion,
        set: 'validation',
        n,
        accuracy,
        sensitivity,
        specificity,
        auc,
        threshold,
      });
      assert.deepEqual(candidate.data['feedback'], {
        images: 4,
        NORMAL: 2,
        PNEUMONIA: 2,
        droppedAsValidation: 0,
        until: world.lastLabelAt,
      });

      // Progress went through every phase in order, and training reported its epochs.
      const phases = progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
      assert.deepEqual(phases, ['dataset', 'extract', 'train', 'evaluate', 'publish']);
      const epochs = progress.filter((p) => p.phase === 'train' && p.valAuc !== undefined);
      assert.deepEqual([...new Set(epochs.map((p) => p.stage))], ['head', 'fine-tune']);
      assert.ok(epochs.every((p) => p.loss! > 0 && p.epoch! <= p.maxEpochs!));

      // Asking again counts only labels received after the candidate's: none.
      await world.registry.setChannel('production', result.candidateVersion);
      await assert.rejects(
        useCase({}).execute({ ...QUICK, minNewLabels: 1 }, async () => undefined),
        new RegExp(`0 new labels since ${result.candidateVersion}`),
      );
      await world.registry.setChannel('production', world.production);
    } finally {
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await app.close();
    }
  });

  test('a candidate that fails the gate is published for inspection and moves no channel, whatever the policy', async () => {
    const before = await world.registry.getChannel('production');
    const announced: ChannelChange[] = [];
    // A candidate trained from production keeps production's weights unless validation improves,
    // so it cannot lose AUC there; demanding a gain of 0.5 makes it fail.
    const result = await useCase({ promotionPolicy: 'promote-if-better', maxAucDrop: -0.5 }, announced).execute(
      RetrainJobData.parse(QUICK),
      async () => undefined,
    );
    assert.equal(result.gate.passed, false);
    assert.match(result.gate.reasons.join('\n'), new RegExp(`candidate's validation AUC .* below production ${world.production}'s`));
    assert.equal(result.action, 'none');
    assert.ok(await world.registry.getPublished(result.candidateVersion));
    assert.deepEqual(await world.registry.getChannel('production'), before);
    assert.deepEqual(announced, []);
  });

  test('under the canary policy a candidate that passes takes the canary share; with TRAINING_INT8 it is published with its int8 model', async () => {
    const announced: ChannelChange[] = [];
    const progress: RetrainProgress[] = [];
    const result = await useCase({ promotionPolicy: 'canary', canaryFraction: 0.25, int8: true }, announced).execute(
      RetrainJobData.parse(QUICK),
      async (p) => void progress.push(p),
    );
    assert.equal(result.gate.passed, true, result.gate.reasons.join('; '));
    const published = await world.registry.getPublished(result.candidateVersion);
    assert.deepEqual(
      published?.files.map((f) => f.path).filter((f) => f.startsWith('model.int8.')),
      ['model.int8.json', 'model.int8.onnx'],
    );
    assert.ok(
      progress.some((p) => /^int8 model: comparing with float \d+\/\d+$/.test(p.message)),
      'the int8 step reports progress',
    );
    assert.equal(result.action, 'canary');
    const canary = await world.registry.getChannel('canary');
    assert.equal(canary?.version, result.candidateVersion);
    assert.equal(canary?.fraction, 0.25);
    assert.equal((await world.registry.getChannel('production'))?.version, world.production);
    assert.deepEqual(
      announced.map((c) => [c.action, c.channel, c.pointer.version]),
      [['canary', 'canary', result.candidateVersion]],
    );
  });

  test('under promote-if-better a candidate that passes becomes production, and workers hear of it', async () => {
    const config = { ...world.config, trainer: { ...world.config.trainer, promotionPolicy: 'promote-if-better' as const } };
    const webhookQueue = new Queue(QueueName.webhook, { connection: redisOptionsFromUrl(config.redis.url), prefix: config.redis.prefix });
    const announcer = new RedisChannelAnnouncer(config, createRedisConnection(config.redis.url, 'producer'), webhookQueue);
    const notices: ChannelChangeNotice[] = [];
    const unsubscribe = await subscribeChannelNotices(config.redis.url, config.redis.prefix, (n) => notices.push(n));
    try {
      const result = await new RetrainUseCase(config, world.feedback, world.store, world.registry, announcer, systemClock).execute(
        RetrainJobData.parse(QUICK),
        async () => undefined,
      );
      assert.equal(result.action, 'promoted');
      const production = await world.registry.getChannel('production');
      assert.equal(production?.version, result.candidateVersion);
      assert.equal(production?.previousVersion, world.production);
      for (let i = 0; i < 100 && notices.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(notices, [{ model: world.registry.name, channel: 'production', version: result.candidateVersion }]);
    } finally {
      await unsubscribe();
      await announcer.onModuleDestroy();
      await webhookQueue.close();
    }
  });

  test('with no production version the first model trains from the ImageNet backbone and is judged on sensitivity alone', async () => {
    const empty = new ModelRegistry({ store: world.store, bucket: BUCKET, prefix: 'empty/', name: world.registry.name });
    const announced: ChannelChange[] = [];
    const result = await new RetrainUseCase(
      world.config,
      world.feedback,
      world.store,
      empty,
      { announce: async (c) => void announced.push(c) },
      systemClock,
    ).execute(RetrainJobData.parse({ ...QUICK, minNewLabels: world.labelledImages }), async () => undefined);
    assert.equal(result.productionVersion, null);
    assert.deepEqual(rows(result.comparison), [
      ['candidate', result.candidateVersion, 'validation'],
      ['candidate', result.candidateVersion, 'feedback'],
    ]);
    assert.equal(result.gate.passed, true, result.gate.reasons.join('; '));
    assert.ok(row(result, 'candidate', 'validation').sensitivity >= world.config.trainer.targetSensitivity);
    const manifest = await readManifest(await empty.download(result.candidateVersion, world.config.trainer.workDir));
    assert.equal(manifest.parentVersion, null);
    assert.equal(await empty.getChannel('production'), null);
    assert.deepEqual(announced, []);
  });
});

function rows(comparison: ComparedMetrics[]) {
  return comparison.map((r) => [r.model, r.version, r.set]);
}

function row(result: RetrainResult, model: ComparedMetrics['model'], set: ComparedMetrics['set']): ComparedMetrics {
  const found = result.comparison.find((r) => r.model === model && r.set === set);
  assert.ok(found, `no ${model} row on ${set}`);
  return found;
}
