import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import type { ChannelPointer } from '@pneumoscreen/contracts';
import { ChannelWatcher, openModelRegistry, type ModelRegistry } from '@pneumoscreen/registry';
import { readManifest, resolveModelDir } from '@pneumoscreen/model-format';
import { FatalSignal, subscribeChannelNotices } from '@pneumoscreen/queue';
import type { ObjectStore } from '@pneumoscreen/storage';
import { CONFIG, REGISTRY_STORE } from '../tokens';
import { BROKEN_AFTER, LoadedModel } from './loaded-model';

/** Old and new production side by side during a roll-out, or production and a canary. */
const MAX_LOADED = 2;

interface Slot {
  version: string;
  model: Promise<LoadedModel>;
  lastUsed: number;
  leases: number;
  evicted: boolean;
}

/**
 * The model versions this worker holds, each behind its own batcher, so a batch only ever holds
 * images of one version. A job pinned to a version gets that version, loaded on demand from the
 * registry's verified cache; an unpinned job gets the served version: the one MODEL_CHANNEL points
 * at (with MODEL_REGISTRY) or the folder MODEL_DIR names. When the channel moves (a pub/sub notice,
 * or polling) the new version is loaded beside the old one and serves once it is ready, so
 * switching happens between batches. At most MAX_LOADED versions stay loaded, least recently used
 * out first; one evicted mid-job is disposed when its last job is done.
 */
@Injectable()
export class ModelRuntime implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger(ModelRuntime.name);
  private readonly slots = new Map<string, Slot>();
  private registry: ModelRegistry | null = null;
  private watcher: ChannelWatcher | null = null;
  private localDir: string | null = null;
  private served!: Promise<string>;
  private firstLoad!: Promise<void>;
  private servedNow: string | null = null;
  private clock = 0;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REGISTRY_STORE) private readonly store: ObjectStore,
    private readonly fatal: FatalSignal,
  ) {}

  onModuleInit() {
    const { registry, name } = this.config.models;
    if (registry) this.registry = openModelRegistry(registry, name, () => this.store);
    // Not awaited: the app starts while the model loads, and the classify pool takes jobs once
    // it is warm (`warm`).
    this.served = this.start();
    this.firstLoad = this.served.then(() => undefined);
    this.served.catch((e: Error) => this.fatal.raise(new Error(`cannot load the model from ${this.source()}: ${e.message}`)));
  }

  /** Fulfilled once the served version is loaded and has run its warm-up batch; rejected when it
   * cannot load (the fatal signal is raised then). */
  get warm(): Promise<void> {
    return this.firstLoad;
  }

  /** Runs `use` with the version the job is pinned to (or the served one), which stays loaded
   * until `use` is done. */
  async withModel<T>(version: string | undefined, use: (model: LoadedModel) => Promise<T>): Promise<T> {
    const served = await this.served;
    const wanted = version ?? served;
    if (!this.registry && wanted !== served) {
      throw new Error(
        `the job is pinned to model version ${wanted}, but this worker serves ${served} from ${this.source()} and has no MODEL_REGISTRY to fetch others from`,
      );
    }
    const slot = this.slot(wanted);
    slot.leases++;
    try {
      return await use(await slot.model);
    } finally {
      slot.leases--;
      if (slot.evicted && slot.leases === 0) this.dispose(slot);
    }
  }

  /** The versions in memory, most recently used first. */
  get loadedVersions(): string[] {
    return [...this.slots.values()].sort((a, b) => b.lastUsed - a.lastUsed).map((s) => s.version);
  }

  get servedVersion(): string | null {
    return this.servedNow;
  }

  /** After the pools have drained (QueueProcessor, in the phase before this one): the batches
   * they held have run. */
  async beforeApplicationShutdown() {
    await this.watcher?.stop();
    await this.served?.catch(() => null);
    await Promise.all(
      [...this.slots.values()].map((s) =>
        s.model.then(
          (m) => m.dispose(),
          () => undefined,
        ),
      ),
    );
    this.slots.clear();
  }

  private async start(): Promise<string> {
    const { name, channel, channelPollMs } = this.config.models;
    let version: string;
    if (!this.registry) {
      this.localDir = await resolveModelDir(this.config.worker.modelDir);
      version = (await readManifest(this.localDir)).version;
    } else {
      const { url, prefix } = this.config.redis;
      this.watcher = new ChannelWatcher(this.registry, {
        channels: [channel],
        pollMs: channelPollMs,
        subscribe: (onNotice) => subscribeChannelNotices(url, prefix, (n) => n.model === name && n.channel === channel && onNotice()),
        onChange: (now) => this.channelMoved(now[channel] ?? null),
        onError: (e) => this.log.warn(`cannot re-read channel ${channel}: ${e.message}`),
      });
      const pointer = (await this.watcher.start())[channel];
      if (!pointer)
        throw new Error(
          `channel "${channel}" of ${name} points at no version yet (pneumoscreen models promote VERSION --channel ${channel})`,
        );
      version = pointer.version;
    }
    this.servedNow = version;
    await this.slot(version).model;
    return version;
  }

  private async channelMoved(pointer: ChannelPointer | null): Promise<void> {
    const { channel } = this.config.models;
    if (!pointer) return this.log.warn(`channel ${channel} vanished; still serving ${this.servedNow}`);
    if (pointer.version === this.servedNow) return;
    this.log.log(`channel ${channel} now points at ${pointer.version}; loading it beside ${this.servedNow}`);
    try {
      await this.slot(pointer.version).model;
    } catch (e) {
      return this.log.error(`cannot load ${pointer.version}, still serving ${this.servedNow}: ${(e as Error).message}`);
    }
    this.servedNow = pointer.version;
    this.served = Promise.resolve(pointer.version);
    this.log.log(`serving ${pointer.version} (loaded: ${this.loadedVersions.join(', ')})`);
  }

  private slot(version: string): Slot {
    let slot = this.slots.get(version);
    if (!slot) {
      const created: Slot = { version, model: this.load(version), lastUsed: 0, leases: 0, evicted: false };
      // A failed load is forgotten, so the next job for the version tries again.
      created.model.catch(() => this.slots.get(version) === created && this.slots.delete(version));
      this.slots.set(version, (slot = created));
    }
    slot.lastUsed = ++this.clock;
    this.evictBeyondLimit();
    return slot;
  }

  private evictBeyondLimit(): void {
    while (this.slots.size > MAX_LOADED) {
      const victim = [...this.slots.values()].filter((s) => s.version !== this.servedNow).sort((a, b) => a.lastUsed - b.lastUsed)[0]!;
      this.slots.delete(victim.version);
      victim.evicted = true;
      this.log.log(`unloading model version ${victim.version} (least recently used)`);
      if (victim.leases === 0) this.dispose(victim);
    }
  }

  private dispose(slot: Slot): void {
    slot.model.then((m) => m.dispose()).catch((e: Error) => this.log.warn(`disposing ${slot.version}: ${e.message}`));
  }

  private async load(version: string): Promise<LoadedModel> {
    const started = Date.now();
    const { maxBatch, maxWaitMs, preferredBatchSizes, engine, engineThreads, engineTimeoutMs, heatmaps } = this.config.worker;
    const dir = this.registry ? await this.registry.download(version, this.config.models.cacheDir) : this.localDir!;
    const model = await LoadedModel.load(dir, {
      batching: { maxBatch, maxWaitMs, preferredSizes: preferredBatchSizes },
      engine: { engine, threads: engineThreads, onSkip: (name, reason) => this.log.log(`engine ${name} not used: ${reason}`) },
      onBroken: (err) => this.engineBroken(version, err),
      runTimeoutMs: engineTimeoutMs,
      ...(heatmaps.enabled ? { heatmaps: { maxBatch: heatmaps.maxBatch } } : {}),
    });
    const { name } = model.manifest;
    this.log.log(
      `model ${name}@${version} from ${this.source()} on ${model.engine.name} ready in ${Date.now() - started} ms (batch ≤ ${maxBatch}, wait ≤ ${maxWaitMs} ms${preferredBatchSizes.length ? `, preferred ${preferredBatchSizes.join('/')}` : ''})`,
    );
    if (model.heatmapsUnavailable) this.log.warn(`model version ${version} gives no heatmaps: ${model.heatmapsUnavailable}`);
    return model;
  }

  /** A broken engine would fail every image this worker takes, spending their attempts: the
   * process stops instead (main.ts closes the app on the fatal signal: the pool takes no more
   * jobs, and the ones it holds end, most failing and retried elsewhere, within FATAL_CLOSE_MS), and
   * whatever restarts it (compose, Kubernetes) finds out at start-up whether the engine works. */
  private engineBroken(version: string, err: Error): void {
    const why = err.name === 'EngineTimeoutError' ? err.message : `failed ${BROKEN_AFTER} batches in a row (last: ${err.message})`;
    this.fatal.raise(new Error(`model version ${version}: ${why}; stopping this worker so that its images go to a working one`));
  }

  private source(): string {
    const { registry, name, channel } = this.config.models;
    if (!registry) return this.config.worker.modelDir;
    const where = registry.kind === 's3' ? `s3://${registry.bucket}/${registry.prefix}` : registry.dir;
    return `${where} (${name}, channel ${channel})`;
  }
}
