import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { repoRoot, type AppConfig } from '@pneumoscreen/config';
import { RetrainResult, type RetrainJobData } from '@pneumoscreen/contracts';
import { currentLabels, type FeedbackStore } from '@pneumoscreen/feedback';
import { BACKBONES, codeVersion, TRAINING_DEFAULTS as DEFAULTS, trainModel } from '@pneumoscreen/training';
import { type LabelledImage } from '@pneumoscreen/evaluation';
import { type ModelRegistry } from '@pneumoscreen/registry';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { Clock } from '@pneumoscreen/studies';
import type { ChannelChange } from '@pneumoscreen/webhooks';
import { CLOCK, CONFIG, FEEDBACK_STORE, MODEL_REGISTRY, OBJECT_STORE } from '../tokens';
import { compareModels } from './compare-models';
import { downloadFeedbackImages, splitHeldBack } from './feedback-images';
import { addInt8Model } from './int8-candidate';
import { backboneFor, feedbackUntil, fetchProduction } from './production-model';
import { promotionGate } from './promotion-gate';
import { RetrainProgressReporter, type ProgressSink } from './retrain-progress';

export const CHANNEL_ANNOUNCER = Symbol('CHANNEL_ANNOUNCER');

/** Tells workers, ingest and webhook subscribers that a channel moved. */
export interface ChannelAnnouncer {
  announce(change: ChannelChange): Promise<void>;
}

export type RetrainRegistry = Pick<ModelRegistry, 'name' | 'getChannel' | 'setChannel' | 'publish' | 'download'>;
export type LabelSource = Pick<FeedbackStore, 'readAll'>;

/** The CLI's `train` defaults, for what a job leaves unset. */

/**
 * One retrain: the base data set plus readers' labels (less the held-back studies), trained from
 * production's weights, measured against production at each one's own threshold, and published as
 * a new version whatever the verdict, so it can be inspected. Only a candidate that passes the
 * promotion gate is handed to the promotion policy; any other leaves every channel as it was.
 */
@Injectable()
export class RetrainUseCase {
  private readonly log = new Logger(RetrainUseCase.name);

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(FEEDBACK_STORE) private readonly labels: LabelSource,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(MODEL_REGISTRY) private readonly registry: RetrainRegistry,
    @Inject(CHANNEL_ANNOUNCER) private readonly announcer: ChannelAnnouncer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(job: RetrainJobData, sink: ProgressSink): Promise<RetrainResult> {
    const progress = new RetrainProgressReporter(
      sink,
      (m) => this.log.warn(m),
      () => this.clock.now().getTime(),
    );
    try {
      return await this.run(job, progress);
    } finally {
      await progress.flush();
    }
  }

  private async run(job: RetrainJobData, progress: RetrainProgressReporter): Promise<RetrainResult> {
    const started = this.clock.now().getTime();
    const { trainer } = this.config;
    if (!trainer.dataDir) throw new Error('TRAINING_DATA_DIR is not set: retraining needs the base labelled data set');
    progress.report({ phase: 'dataset', message: 'reading feedback labels' }, true);
    const labelSet = currentLabels(await this.labels.readAll());
    const production = await fetchProduction(this.registry, trainer, progress, (m) => this.log.warn(m));

    const since = feedbackUntil(production?.manifest);
    const newLabels = labelSet.images.filter((l) => since === null || Date.parse(l.labelledAt) > Date.parse(since)).length;
    if (newLabels < job.minNewLabels) {
      const from = production ? `since ${production.version}` : 'in all (no production version yet)';
      throw new Error(`${newLabels} new label${newLabels === 1 ? '' : 's'} ${from}; --min-new-labels asks for ${job.minNewLabels}`);
    }

    const backbone = backboneFor(production?.manifest, trainer.baseModelDir);
    const downloaded = await downloadFeedbackImages(this.store, labelSet.images, path.join(trainer.workDir, 'feedback'), {
      maxBytes: this.config.worker.maxImageBytes,
      maxPixels: this.config.worker.maxImagePixels,
      inputSize: BACKBONES[backbone]!.preprocessing.inputSize,
      onProgress: (done, total) =>
        progress.report({ phase: 'dataset', message: `feedback images downloaded ${done}/${total}`, done, total }),
    });
    const { changed, vanished, unreadable } = downloaded.skipped;
    if (changed + vanished + unreadable > 0) {
      this.log.warn(`feedback images left out: ${changed} changed since labelled, ${vanished} gone, ${unreadable} unreadable or too large`);
    }
    const { heldBack, train: trainFeedback } = splitHeldBack(downloaded.images, this.config.feedback.holdoutFraction);
    const latestLabel = labelSet.images.reduce<string | null>(
      (a, l) => (a === null || Date.parse(l.labelledAt) > Date.parse(a) ? l.labelledAt : a),
      null,
    );

    const cacheDir = path.join(trainer.workDir, 'activations', production?.version ?? 'base');
    await removeSiblings(cacheDir);
    const trained = await trainModel({
      dataDir: trainer.dataDir,
      backbone,
      backboneDir: trainer.baseModelDir,
      ...(production ? { initFrom: production.dir } : {}),
      extraTrainImages: trainFeedback,
      feedbackUntil: latestLabel,
      outDir: path.join(trainer.workDir, 'candidates'),
      cacheDir,
      targetSensitivity: trainer.targetSensitivity,
      seed: trainer.seed,
      valFraction: trainer.valFraction,
      ...DEFAULTS,
      maxEpochs: job.maxEpochs ?? DEFAULTS.maxEpochs,
      fineTuneEpochs: job.fineTuneEpochs ?? DEFAULTS.fineTuneEpochs,
      augmentCopies: job.augmentCopies ?? DEFAULTS.augmentCopies,
      shapeSwapCopies: job.shapeSwapCopies ?? DEFAULTS.shapeSwapCopies,
      workers: Math.min(4, os.availableParallelism()),
      codeVersion: codeVersion(repoRoot()),
      onProgress: (e) => progress.train(e),
    });
    const candidate = trained.manifest.version;

    const comparison = await compareModels(
      [...(production ? [{ model: 'production' as const, dir: production.dir }] : []), { model: 'candidate', dir: trained.versionDir }],
      [
        { set: 'validation', images: trained.validation },
        { set: 'feedback', images: heldBack },
      ],
      (done, total) => progress.report({ phase: 'evaluate', message: `images scored ${done}/${total}`, done, total }),
    );
    const int8Refusal = trainer.int8
      ? await addInt8Model(trained.versionDir, trainer.dataDir, trained.validation, trainer.seed, progress)
      : null;
    const gate = promotionGate({
      comparison,
      heldBack: classCounts(heldBack),
      targetSensitivity: trainer.targetSensitivity,
      maxAucDrop: trainer.maxAucDrop,
      also: int8Refusal ? [int8Refusal] : [],
    });

    progress.report({ phase: 'publish', message: `publishing ${candidate}` }, true);
    await this.registry.publish(trained.versionDir);
    const action = gate.passed ? await this.applyPolicy(candidate) : 'none';
    this.log.log(
      `retrain: ${candidate} ${gate.passed ? 'passed' : 'failed'} the gate${gate.passed ? `; ${trainer.promotionPolicy} policy: ${action}` : `: ${gate.reasons.join('; ')}`}`,
    );
    progress.report(
      { phase: 'publish', message: `published ${candidate}; ${gate.passed ? `action: ${action}` : 'gate failed, no channel moved'}` },
      true,
    );
    return RetrainResult.parse({
      candidateVersion: candidate,
      productionVersion: production?.version ?? null,
      comparison,
      gate,
      action,
      data: {
        baseImages: trained.baseImages,
        feedbackTrainImages: trained.extraImages,
        feedbackHeldBackImages: heldBack.length,
        newLabels,
        disagreements: labelSet.disagreements,
      },
      seconds: (this.clock.now().getTime() - started) / 1000,
    });
  }

  private async applyPolicy(version: string): Promise<RetrainResult['action']> {
    const { promotionPolicy, canaryFraction } = this.config.trainer;
    if (promotionPolicy === 'manual') return 'none';
    const canary = promotionPolicy === 'canary';
    const channel = canary ? 'canary' : 'production';
    const { pointer, changed } = await this.registry.setChannel(channel, version, canary ? { fraction: canaryFraction } : {});
    if (changed) {
      // The channel has moved by now; workers and ingest also poll it, so a lost notice only delays them.
      await this.announcer
        .announce({ action: canary ? 'canary' : 'promote', model: this.registry.name, channel, pointer })
        .catch((err: Error) => this.log.warn(`${channel} now points at ${version}, but announcing it failed: ${err.message}`));
    }
    return canary ? 'canary' : 'promoted';
  }
}

function classCounts(images: readonly LabelledImage[]): { NORMAL: number; PNEUMONIA: number } {
  const pneumonia = images.filter((i) => i.label === 1).length;
  return { NORMAL: images.length - pneumonia, PNEUMONIA: pneumonia };
}

/** Activation caches are per starting version and large: only the current one is worth keeping. */
async function removeSiblings(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  await fs.mkdir(dir, { recursive: true });
  for (const name of await fs.readdir(parent)) {
    if (name !== path.basename(dir)) await fs.rm(path.join(parent, name), { recursive: true, force: true });
  }
}
