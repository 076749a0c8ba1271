import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { loadModelVersion, resolveModelDir, type ModelEngine } from '@pneumoscreen/model';
import { MicroBatcher } from '@pneumoscreen/queue';
import { CONFIG } from '../tokens';

export interface Prediction {
  probability: number;
  batchSize: number;
  inferenceMs: number;
}

/** The loaded model version and the dynamic batcher in front of it: single images in, one model
 * call per batch. */
@Injectable()
export class ModelRuntime implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(ModelRuntime.name);
  private loaded!: Promise<{ manifest: ModelManifest; engine: ModelEngine; batcher: MicroBatcher<Float32Array, Prediction> }>;

  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  onModuleInit() {
    // Not awaited: jobs that arrive while the model loads simply wait for it.
    this.loaded = this.load();
    this.loaded.catch((e: Error) => {
      this.log.error(`cannot load the model from ${this.config.worker.modelDir}: ${e.message}`);
      process.exit(1);
    });
  }

  private async load() {
    const started = Date.now();
    const { manifest, engine } = await loadModelVersion(await resolveModelDir(this.config.worker.modelDir));
    const batcher = new MicroBatcher<Float32Array, Prediction>((inputs) => this.runBatch(engine, inputs), {
      maxBatch: this.config.worker.maxBatch,
      maxWaitMs: this.config.worker.maxWaitMs,
    });
    this.log.log(`model ${manifest.name}@${manifest.version} on ${engine.name} ready in ${Date.now() - started} ms (batch ≤ ${this.config.worker.maxBatch}, wait ≤ ${this.config.worker.maxWaitMs} ms)`);
    return { manifest, engine, batcher };
  }

  async manifest(): Promise<ModelManifest> {
    return (await this.loaded).manifest;
  }

  async engineName(): Promise<string> {
    return (await this.loaded).engine.name;
  }

  async predict(input: Float32Array): Promise<Prediction> {
    return (await this.loaded).batcher.submit(input);
  }

  private async runBatch(engine: ModelEngine, inputs: Float32Array[]): Promise<Prediction[]> {
    const size = inputs[0].length;
    const batch = new Float32Array(size * inputs.length);
    inputs.forEach((x, i) => batch.set(x, i * size));
    const started = performance.now();
    const out = await engine.predict(batch, inputs.length);
    const inferenceMs = performance.now() - started;
    return Array.from(out, (probability) => ({ probability, batchSize: inputs.length, inferenceMs }));
  }

  async onModuleDestroy() {
    if (this.loaded) await (await this.loaded.catch(() => null))?.engine.dispose();
  }
}
