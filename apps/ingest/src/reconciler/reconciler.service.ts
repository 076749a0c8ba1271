import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { watchedLocations, type AppConfig, type TenantLocation } from '@pneumoscreen/config';
import type { ObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import { CLOCK, CONFIG, INGEST_METRICS, OBJECT_STORE, STUDY_REPOSITORY } from '../tokens';
import { RecordObjectUseCase, isManifestKey } from '../studies/record-object.use-case';
import { SubmitStudyUseCase } from '../studies/submit-study.use-case';
import type { ObjectHint } from '../studies/study-of-object';

/**
 * Three loops that make ingest work without (or despite lost) event notifications and crashes: a
 * listing of the incoming prefix that records anything not yet seen, a sweep that queues studies
 * that have had no new object for the quiet period, and a repair pass that queues again claimed
 * studies whose job is missing. Every replica may run them: claims are atomic, job ids derive from
 * content. One object or study that fails is counted and logged, and the pass goes on.
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
    this.every(Math.max(100, Math.min(30_000, Math.floor(this.config.ingest.requeueAfterMs / 2))), 'repair', () => this.repair());
  }

  onApplicationShutdown() {
    this.timers.forEach(clearInterval);
  }

  /** Records every object under the incoming prefix of every tenant location (each tenant's own
   * buckets and prefixes); returns how many were new. One location that cannot be listed (a
   * bucket refusing the listing) is logged and counted, and the others are still listed. */
  async reconcile(): Promise<number> {
    const { bucket, incomingPrefix } = this.config.s3;
    let fresh = 0;
    for (const location of watchedLocations(this.config.tenants, bucket, incomingPrefix)) {
      try {
        fresh += await this.reconcileLocation(location);
      } catch (e) {
        this.failed(`bucket ${location.bucket} could not be listed`, e);
      }
    }
    if (fresh) this.log.log(`reconciler found ${fresh} object(s) that no event announced`);
    this.metrics.foundByListing(fresh);
    return fresh;
  }

  /** Manifests go last: listed in key order, `manifest.json` would otherwise ready a study before
   * the objects whose names sort after it were recorded. */
  private async reconcileLocation({ bucket, prefix }: TenantLocation): Promise<number> {
    const { incomingPrefix } = this.config.s3;
    let fresh = 0;
    const record = async (o: ObjectHint) => {
      try {
        const outcome = await this.record.execute({ bucket, ...o });
        if (outcome === 'recorded' || outcome === 'manifest') fresh++;
      } catch (e) {
        // An AccessDenied on one key must not leave every key listed after it unrecorded; the
        // next pass tries it again. The key is not logged: names can carry patient data.
        this.failed(`an object of folder ${folderOf(o.key, incomingPrefix)} could not be recorded`, e);
      }
    };
    const manifests: ObjectHint[] = [];
    // Objects older than the retention may have outlived their records: listing them again
    // would classify them a second time. Events still record an old object that is written again.
    const oldest = this.clock.now().getTime() - this.config.ingest.retentionMs;
    for await (const { key, etag, size, lastModified } of this.store.listObjects(bucket, prefix)) {
      if (lastModified.getTime() < oldest) continue;
      if (isManifestKey(key)) manifests.push({ key });
      else await record({ key, etag, size });
    }
    for (const m of manifests) await record(m);
    return fresh;
  }

  /** Queues the studies that have been quiet long enough; returns how many. */
  async sweep(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.ingest.quietPeriodMs);
    let queued = 0;
    for (const id of await this.studies.quietSince(before, 100)) {
      try {
        if (await this.submit.execute(id)) queued++;
      } catch (e) {
        this.failed(`study ${id} could not be queued`, e);
      }
    }
    return queued;
  }

  /** Queues again the claimed studies whose job is missing; returns how many. */
  async repair(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.ingest.requeueAfterMs);
    let requeued = 0;
    for (const id of await this.studies.queuedUncheckedSince(before, 100)) {
      try {
        if (await this.submit.requeueIfLost(id)) requeued++;
      } catch (e) {
        this.failed(`study ${id} could not be checked for its job`, e);
      }
    }
    return requeued;
  }

  private failed(what: string, e: unknown) {
    const err = e as Error;
    this.log.warn(`${what}: ${err.name}: ${err.message}`);
    this.metrics.reconcileError();
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

function folderOf(key: string, incomingPrefix: string): string {
  return key.slice(incomingPrefix.length).split('/')[0] || '(none)';
}
