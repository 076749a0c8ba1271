import { Counter, type Registry } from 'prom-client';
import type { RecordOutcome } from '../studies/record-object.use-case';

/** What ingest reports: each object it was told of or found, and each study it queued. */
export interface IngestMetrics {
  objectSeen(outcome: RecordOutcome): void;
  /** Objects the reconciler's listing recorded: none of them came by an event. */
  foundByListing(count: number): void;
  studyQueued(): void;
}

/** Objects by outcome, the ones only a listing found (lost or unconfigured event notifications:
 * worth an alert where a store sends events), and queued studies. */
export class PrometheusIngestMetrics implements IngestMetrics {
  private readonly objects: Counter<'outcome'>;
  private readonly found: Counter;
  private readonly queued: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.objects = new Counter({ name: 'pneumoscreen_objects_total', help: 'Objects ingest was told of or found, by outcome (recorded, duplicate, ignored, late, manifest)', labelNames: ['outcome'], registers });
    this.found = new Counter({ name: 'pneumoscreen_reconciler_objects_found_total', help: 'Objects recorded from a listing that no event had announced', registers });
    this.queued = new Counter({ name: 'pneumoscreen_studies_queued_total', help: 'Studies queued for classification', registers });
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
