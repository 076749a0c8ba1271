import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { openModelRegistry, resolveModelDir } from '@pneumoscreen/model';
import type { ObjectStore } from '@pneumoscreen/storage';
import { CONFIG, OBJECT_STORE } from '../tokens';
import { LoadedModel, type Prediction } from './loaded-model';

/**
 * The model version this worker serves, behind a dynamic batcher: single images in, one model
 * call per batch. With MODEL_REGISTRY set it serves the version that MODEL_CHANNEL points at,
 * downloaded and verified into MODEL_CACHE_DIR; otherwise the folder MODEL_DIR names.
 */
@Injectable()
export class ModelRuntime implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(ModelRuntime.name);
  private active!: Promise<LoadedModel>;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  onModuleInit() {
    // Not awaited: jobs that arrive while the model loads simply wait for it.
    this.active = this.load();
    this.active.catch((e: Error) => {
      this.log.error(`cannot load the model from ${this.source()}: ${e.message}`);
      process.exit(1);
    });
  }

  private async load(): Promise<LoadedModel> {
    const started = Date.now();
    const { maxBatch, maxWaitMs, engine, engineThreads } = this.config.worker;
    const model = await LoadedModel.load(await this.servedVersionDir(), { maxBatch, maxWaitMs }, {
      engine,
      threads: engineThreads,
      onSkip: (name, reason) => this.log.log(`engine ${name} not used: ${reason}`),
    });
    const { name, version } = model.manifest;
    this.log.log(`model ${name}@${version} from ${this.source()} on ${model.engine.name} ready in ${Date.now() - started} ms (batch ≤ ${maxBatch}, wait ≤ ${maxWaitMs} ms)`);
    return model;
  }

  private async servedVersionDir(): Promise<string> {
    const { registry: location, name, channel, cacheDir } = this.config.models;
    if (!location) return resolveModelDir(this.config.worker.modelDir);
    const registry = openModelRegistry(location, name, () => this.store);
    const pointer = await registry.getChannel(channel);
    if (!pointer) throw new Error(`channel "${channel}" of ${name} points at no version yet (pneumoscreen models promote VERSION --channel ${channel})`);
    return registry.download(pointer.version, cacheDir);
  }

  private source(): string {
    const { registry, name, channel } = this.config.models;
    if (!registry) return this.config.worker.modelDir;
    const where = registry.kind === 's3' ? `s3://${registry.bucket}/${registry.prefix}` : registry.dir;
    return `${where} (${name}, channel ${channel})`;
  }

  async manifest(): Promise<ModelManifest> {
    return (await this.active).manifest;
  }

  async engineName(): Promise<string> {
    return (await this.active).engine.name;
  }

  async predict(input: Float32Array): Promise<Prediction> {
    return (await this.active).predict(input);
  }

  async onModuleDestroy() {
    if (this.active) await (await this.active.catch(() => null))?.dispose();
  }
}
