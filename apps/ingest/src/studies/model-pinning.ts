import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import {
  ChannelWatcher,
  liveCanary,
  openModelRegistry,
  versionForStudy,
  type ChannelSnapshot,
  type ServingChannels,
} from '@pneumoscreen/registry';
import { subscribeChannelNotices } from '@pneumoscreen/queue';
import type { ObjectStore } from '@pneumoscreen/storage';
import { CONFIG, REGISTRY_STORE } from '../tokens';

export const MODEL_PINNING = Symbol('MODEL_PINNING');
/** The channel that takes a share of studies (its pointer's `fraction`) ahead of production. */
export const CANARY_CHANNEL = 'canary';

/** Chooses the model version a study is classified with, once, when it is queued. */
export interface ModelPinning {
  /** Undefined: no version to pin; workers then use the model they serve. */
  versionFor(studyId: string): Promise<string | undefined>;
}

/**
 * Pins studies to the version MODEL_CHANNEL (production) points at, or the canary's for the share
 * of study ids the canary takes. Keeps the channels in memory, re-read on every pub/sub notice and
 * every MODEL_CHANNEL_POLL_MS, so queueing a study costs no S3 read. Without MODEL_REGISTRY it
 * pins nothing.
 */
@Injectable()
export class RegistryModelPinning implements ModelPinning, OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(RegistryModelPinning.name);
  private watcher: ChannelWatcher | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REGISTRY_STORE) private readonly store: ObjectStore,
  ) {}

  onModuleInit() {
    const { registry, name, channel, channelPollMs } = this.config.models;
    if (!registry) return;
    const { url, prefix } = this.config.redis;
    this.watcher = new ChannelWatcher(
      openModelRegistry(registry, name, () => this.store),
      {
        channels: [channel, CANARY_CHANNEL],
        pollMs: channelPollMs,
        subscribe: (onNotice) => subscribeChannelNotices(url, prefix, (n) => n.model === name && onNotice()),
        onChange: (now) => this.log.log(`studies now go to ${describe(this.serving(now))}`),
        onError: (e) => this.log.warn(`cannot read the model channels: ${e.message}`),
      },
    );
    // Not awaited: ingest starts while S3 is away; studies queued meanwhile wait for a read.
    this.watcher.start().then(
      (now) => this.log.log(`studies go to ${describe(this.serving(now))}`),
      (e: Error) => this.log.warn(`cannot read the model channels yet: ${e.message}`),
    );
  }

  async versionFor(studyId: string): Promise<string | undefined> {
    if (!this.watcher) return undefined;
    return versionForStudy(studyId, this.serving(this.watcher.current ?? (await this.watcher.refresh())));
  }

  private serving(now: ChannelSnapshot): ServingChannels {
    return { production: now[this.config.models.channel] ?? null, canary: now[CANARY_CHANNEL] ?? null };
  }

  async onModuleDestroy() {
    await this.watcher?.stop();
  }
}

function describe(channels: ServingChannels): string {
  const canary = liveCanary(channels);
  const main = channels.production?.version ?? '(no version yet: studies go unpinned)';
  return canary ? `${main}, and ${canary.version} for ${canary.fraction! * 100}% of them (canary)` : main;
}
