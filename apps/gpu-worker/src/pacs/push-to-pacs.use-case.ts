import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import type { PacsDeliveryStatus, PacsJobData } from '@pneumoscreen/contracts';
import { ObjectNotFoundError, type ObjectStore } from '@pneumoscreen/storage';
import type { Clock } from '@pneumoscreen/studies';
import { CLOCK, CONFIG, OBJECT_STORE } from '../tokens';
import type { PacsPublisher, PublishOutcome } from './stow-rs';

export const PACS_PUBLISHER = Symbol('PACS_PUBLISHER');

/** `final`: the push is over and `status` was written beside the result; otherwise the caller
 * tries again later. */
export interface PushAttempt {
  outcome: PublishOutcome | { kind: 'nothing-to-send' };
  final: boolean;
  status?: PacsDeliveryStatus;
}

/**
 * Reads a study's DICOM outputs from its bucket, sends them in one STOW-RS request and, once that
 * is settled (stored, refused, or failed on the last attempt), writes the outcome to the job's
 * `statusKey`. Objects gone since the job was queued are left out and listed.
 */
@Injectable()
export class PushToPacsUseCase {
  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(PACS_PUBLISHER) private readonly publisher: PacsPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(job: PacsJobData, attempt: number, lastAttempt: boolean): Promise<PushAttempt> {
    const files: Buffer[] = [];
    const missingKeys: string[] = [];
    for (const key of job.keys) {
      try {
        files.push((await this.store.getObject(job.bucket, key, { maxBytes: this.config.worker.maxImageBytes })).body);
      } catch (e) {
        if (!(e instanceof ObjectNotFoundError)) throw e;
        missingKeys.push(key);
      }
    }
    const missing = missingKeys.length ? { missingKeys } : {};
    const base = { at: this.clock.now().toISOString(), attempts: attempt, sent: files.length, ...missing };
    if (!files.length) {
      const status: PacsDeliveryStatus = { status: 'failed', reason: 'every object is gone from the bucket', ...base };
      await this.write(job, status);
      return { outcome: { kind: 'nothing-to-send' }, final: true, status };
    }
    const outcome = await this.publisher.publish(files);
    const stored = 'stored' in outcome && outcome.stored !== undefined ? { stored: outcome.stored } : {};
    const http = outcome.httpStatus === undefined ? {} : { httpStatus: outcome.httpStatus };
    let status: PacsDeliveryStatus;
    switch (outcome.kind) {
      case 'stored':
        status = { status: 'delivered', ...base, ...http, ...stored };
        break;
      case 'refused':
        status = {
          status: 'failed',
          reason: outcome.reason,
          ...base,
          ...http,
          ...stored,
          ...(outcome.failed.length ? { failedInstances: outcome.failed } : {}),
        };
        break;
      case 'retry':
        if (!lastAttempt) return { outcome, final: false };
        status = { status: 'failed', reason: `out of attempts; last: ${outcome.reason}`, ...base, ...http };
        break;
    }
    await this.write(job, status);
    return { outcome, final: true, status };
  }

  private async write(job: PacsJobData, status: PacsDeliveryStatus): Promise<void> {
    await this.store.putObject(job.bucket, job.statusKey, JSON.stringify(status, null, 2), 'application/json');
  }
}
