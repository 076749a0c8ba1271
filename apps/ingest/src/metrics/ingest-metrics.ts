import { Counter, type Registry } from 'prom-client';
import type { RecordOutcome } from '../studies/record-outcome';

/** What ingest reports: each object it was told of or found, and each study it queued. */
export interface IngestMetrics {
  objectSeen(outcome: RecordOutcome): void;
  /** Objects the reconciler's listing recorded: none of them came by an event. */
  foundByListing(count: number): void;
  studyQueued(): void;
  /** A claimed study whose job was missing, queued again. */
  studyRequeued(): void;
  /** An object the reconciler could not record (refused, unreadable); the pass went on. */
  reconcileError(): void;
}

/** Objects by outcome, the ones only a listing found (lost or unconfigured event notifications:
 * worth an alert where a store sends events), and queued studies. */
export class PrometheusIngestMetrics implements IngestMetrics {
  private readonly objects: Counter<'outcome'>;
  private readonly found: Counter;
  private readonly queued: Counter;
  private readonly requeued: Counter;
  private readonly reconcileErrors: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.objects = new Counter({
      name: 'pneumoscreen_objects_total',
      help: 'Objects ingest was told of or found, by outcome (recorded, duplicate, ignored, late, manifest)',
      labelNames: ['outcome'],
      registers,
    });
    this.found = new Counter({
      name: 'pneumoscreen_reconciler_objects_found_total',
      help: 'Objects recorded from a listing that no event had announced',
      registers,
    });
    this.queued = new Counter({ name: 'pneumoscreen_studies_queued_total', help: 'Studies queued for classification', registers });
    this.requeued = new Counter({
      name: 'pneumoscreen_studies_requeued_total',
      help: 'Claimed studies whose job was missing (a crash between claim and enqueue, or lost Redis writes), queued again',
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'pneumoscreen_reconciler_errors_total',
      help: 'Objects or studies the reconciler could not handle in a pass (refused, unreadable); the pass went on',
      registers,
    });
  }

  studyRequeued(): void {
    this.requeued.inc();
  }

  reconcileError(): void {
    this.reconcileErrors.inc();
  }

  objectSeen(outcome: RecordOutcome): void {
    this.objects.inc({ outcome });
  }

  foundByListing(count: number): void {
    if (count > 0) this.found.inc(count);
  }

  studyQueued(): void {
    this.queued.inc();
  }
}
