import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import { CLOCK, CONFIG, INGEST_METRICS, OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import { RecordObjectUseCase, isManifestKey } from '../studies/record-object.use-case';
import { SubmitStudyUseCase } from '../studies/submit-study.use-case';
import type { ObjectHint } from '../studies/study-of-object';

/**
 * Two loops that make ingest work without (or despite lost) event notifications: a listing of the
 * incoming prefix that records anything not yet seen, and a sweep that queues studies that have
 * had no new object for the quiet period. Every replica may run them: claims are atomic.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(ReconcilerService.name);
  private timers: NodeJS.Timeout[] = [];
  private busy = new Set<string>();

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly record: RecordObjectUseCase,
    private readonly submit: SubmitStudyUseCase,
    @Inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
  ) {}

  onApplicationBootstrap() {
    const { reconcileIntervalMs, quietPeriodMs } = this.config.ingest;
    if (reconcileIntervalMs > 0) {
      void this.once('reconcile', () => this.reconcile());
      this.every(reconcileIntervalMs, 'reconcile', () => this.reconcile());
    }
    this.every(Math.max(100, Math.min(5_000, Math.floor(quietPeriodMs / 4))), 'sweep', () => this.sweep());
  }

  onApplicationShutdown() {
    this.timers.forEach(clearInterval);
  }

  /** Records every object under the incoming prefix; returns how many were new. Manifests go
   * last: listed in key order, `manifest.json` would otherwise ready a study before the objects
   * whose names sort after it were recorded. */
  async reconcile(): Promise<number> {
    const { bucket, incomingPrefix } = this.config.s3;
    let fresh = 0;
    const record = async (o: ObjectHint) => {
      const outcome = await this.record.execute({ bucket, ...o });
      if (outcome === 'recorded' || outcome === 'manifest') fresh++;
    };
    const manifests: ObjectHint[] = [];
    for await (const { key, etag, size } of this.store.listObjects(bucket, incomingPrefix)) {
      if (isManifestKey(key)) manifests.push({ key });
      else await record({ key, etag, size });
    }
    for (const m of manifests) await record(m);
    if (fresh) this.log.log(`reconciler found ${fresh} object(s) that no event announced`);
    this.metrics.foundByListing(fresh);
    return fresh;
  }

  /** Queues the studies that have been quiet long enough; returns how many. */
  async sweep(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.ingest.quietPeriodMs);
    let queued = 0;
    for (const id of await this.studies.quietSince(before, 100)) {
      if (await this.submit.execute(id)) queued++;
    }
    return queued;
  }

  private every(ms: number, name: string, fn: () => Promise<unknown>) {
    this.timers.push(setInterval(() => void this.once(name, fn), ms));
  }

  /** Skips a tick while the previous run of the same loop is still going. */
  private async once(name: string, fn: () => Promise<unknown>) {
    if (this.busy.has(name)) return;
    this.busy.add(name);
    try {
      await fn();
    } catch (e) {
      this.log.error(`${name} failed: ${(e as Error).message}`);
    } finally {
      this.busy.delete(name);
    }
  }
}
